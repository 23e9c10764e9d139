using System.Text.Json;

namespace Bollard.Trust.Admission;

/// <summary>
/// One <c>admission.k8s.io/v1</c> or <c>v1beta1</c> AdmissionReview request (the two differ only in
/// <c>apiVersion</c> for what a webhook reads). Holds the parsed document: dispose it after answering. Only the
/// fields a decision needs are read; unknown fields and a <c>response</c> sent along are ignored.
/// </summary>
public sealed class AdmissionReview : IDisposable
{
    public const string V1 = "admission.k8s.io/v1";
    public const string V1Beta1 = "admission.k8s.io/v1beta1";

    /// <summary>Workload objects nest a pod spec 8 levels down; 64 (System.Text.Json's default) bounds parse work and stack.</summary>
    public const int MaxDepth = 64;

    private readonly JsonDocument _document;

    private AdmissionReview(JsonDocument document) => _document = document;

    /// <summary><see cref="V1"/> or <see cref="V1Beta1"/>; the response is written in the same version.</summary>
    public required string ApiVersion { get; init; }

    /// <summary><c>request.uid</c>, echoed in the response.</summary>
    public required string Uid { get; init; }

    /// <summary><c>CREATE</c>, <c>UPDATE</c>, <c>DELETE</c>, <c>CONNECT</c> or whatever else was sent (never null).</summary>
    public required string Operation { get; init; }

    /// <summary><c>request.kind</c> (the API server's type of the object), or the object's own <c>apiVersion</c>/<c>kind</c> when absent.</summary>
    public string? Group { get; init; }

    public string? Version { get; init; }

    public string? Kind { get; init; }

    public string? SubResource { get; init; }

    public string? Namespace { get; init; }

    public string? Name { get; init; }

    /// <summary><c>request.object</c> when it is a JSON object; null when absent, null or anything else.</summary>
    public JsonElement? NewObject { get; init; }

    /// <summary><c>request.oldObject</c> when it is a JSON object (real API servers send it on UPDATE; fixtures send <c>"None"</c> or <c>""</c>).</summary>
    public JsonElement? OldObject { get; init; }

    /// <exception cref="AdmissionReviewException">Not JSON (or nested deeper than <see cref="MaxDepth"/>), not an AdmissionReview request of a known version, or no uid.</exception>
    public static AdmissionReview Parse(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            throw new AdmissionReviewException($"the body is not JSON: {e.Message}", e);
        }
        try
        {
            return Read(document);
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    private static AdmissionReview Read(JsonDocument document)
    {
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new AdmissionReviewException($"the body is JSON {Describe(root)}, not an AdmissionReview object");
        string? apiVersion = String(root, "apiVersion"), kind = String(root, "kind");
        if (kind != "AdmissionReview")
            throw new AdmissionReviewException(kind is null ? "the body has no \"kind\": AdmissionReview" : $"kind '{Clip(kind)}' is not AdmissionReview");
        if (apiVersion is not (V1 or V1Beta1))
            throw new AdmissionReviewException(apiVersion is null
                ? "the body has no apiVersion (admission.k8s.io/v1 or admission.k8s.io/v1beta1)"
                : $"apiVersion '{Clip(apiVersion)}' is not admission.k8s.io/v1 or admission.k8s.io/v1beta1");
        if (!root.TryGetProperty("request", out var request) || request.ValueKind != JsonValueKind.Object)
            throw new AdmissionReviewException("the AdmissionReview has no request object");
        string uid = String(request, "uid") is { Length: > 0 } u ? u
            : throw new AdmissionReviewException("request.uid is missing: a response cannot be matched to the request without it");
        if (uid.Length > 256) throw new AdmissionReviewException("request.uid is longer than 256 characters");

        JsonElement? obj = ObjectOrNull(request, "object"), old = ObjectOrNull(request, "oldObject");
        string? group = null, version = null, objectKind = null;
        if (request.TryGetProperty("kind", out var gvk) && gvk.ValueKind == JsonValueKind.Object)
            (group, version, objectKind) = (String(gvk, "group"), String(gvk, "version"), String(gvk, "kind"));
        else if (obj is { } o && String(o, "kind") is { } k)
        {
            objectKind = k;
            string? av = String(o, "apiVersion");
            int slash = av?.IndexOf('/', StringComparison.Ordinal) ?? -1;
            (group, version) = slash < 0 ? ("", av) : (av![..slash], av[(slash + 1)..]);
        }
        return new AdmissionReview(document)
        {
            ApiVersion = apiVersion,
            Uid = uid,
            Operation = String(request, "operation") ?? "",
            Group = group,
            Version = version,
            Kind = objectKind,
            SubResource = String(request, "subResource"),
            Namespace = String(request, "namespace"),
            Name = String(request, "name"),
            NewObject = obj,
            OldObject = old,
        };
    }

    internal static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString() : null;

    private static JsonElement? ObjectOrNull(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    internal static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "object",
    };

    internal static string Clip(string s) => s.Length <= 80 ? s : s[..80] + "...";

    public void Dispose() => _document.Dispose();
}
