using System.Text.Json;
using Bollard.Core.Oci;

namespace Bollard.Core.Client;

/// <summary>
/// The pieces of the Distribution protocol that every Bollard client of a registry needs the same way: the CLI's
/// <see cref="RegistryClient"/> and the mirror's <see cref="Mirror.Upstream.HttpUpstreamRegistry"/>. Pure: no I/O.
/// </summary>
public static class RegistryProtocol
{
    /// <summary>Every OCI and Docker schema 2 manifest and index type, never schema 1 (a registry would convert to it).</summary>
    public const string ManifestAccept =
        "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
        + "application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

    /// <summary>
    /// RFC 5988 <c>Link: &lt;/v2/...?n=..&amp;last=..&gt;; rel="next"</c>, resolved against <paramref name="baseUri"/>;
    /// null when there is no next page, or when it names another host (the token and credentials belong to this one).
    /// </summary>
    public static Uri? NextPage(Uri baseUri, HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        ArgumentNullException.ThrowIfNull(response);
        if (!response.Headers.TryGetValues("Link", out var links)) return null;
        foreach (string link in links)
        {
            int open = link.IndexOf('<', StringComparison.Ordinal), close = link.IndexOf('>', StringComparison.Ordinal);
            if (open < 0 || close <= open || !link[close..].Contains("rel=\"next\"", StringComparison.OrdinalIgnoreCase)) continue;
            if (!Uri.TryCreate(baseUri, link[(open + 1)..close], out var uri)) continue;
            if (!string.Equals(uri.Authority, baseUri.Authority, StringComparison.OrdinalIgnoreCase)) return null;
            return uri;
        }
        return null;
    }

    /// <summary>The descriptors of an image index (a referrers answer, a fallback-tag index); false when it is not one.</summary>
    public static bool TryParseIndex(ReadOnlyMemory<byte> body, out IReadOnlyList<Descriptor> manifests)
    {
        try
        {
            var parsed = ManifestParser.Parse(body, MediaTypes.OciIndex);
            manifests = parsed.Manifests;
            return parsed.IsIndex;
        }
        catch (OciException)
        {
            manifests = [];
            return false;
        }
    }

    /// <summary>
    /// The media type a manifest body declares (<c>mediaType</c>), else what its shape says (OCI allows leaving it out:
    /// <c>manifests</c> is an index, <c>config</c> and <c>layers</c> an image manifest); null when it is neither.
    /// </summary>
    public static string? DeclaredMediaType(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            if (root.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() is { Length: > 0 } mediaType)
                return mediaType;
            if (root.TryGetProperty("manifests", out _)) return MediaTypes.OciIndex;
            if (root.TryGetProperty("config", out _) && root.TryGetProperty("layers", out _)) return MediaTypes.OciManifest;
        }
        catch (JsonException)
        {
        }
        return null;
    }

    /// <summary>
    /// A registry's error body (<c>{"errors":[{"message":..,"detail":..}]}</c>) as <c> (message: detail)</c>, at most
    /// 500 characters on one line; "" when it is not one.
    /// </summary>
    public static string ErrorText(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("errors", out var errors)
                && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0 && errors[0].ValueKind == JsonValueKind.Object)
            {
                var first = errors[0];
                string? message = first.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                // Bollard's pull gate and push checks put the reasons in the detail.
                string? detail = first.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                string text = string.Join(": ", new[] { message, detail }.Where(x => !string.IsNullOrWhiteSpace(x)));
                if (text.Length > 0) return $" ({(text.Length > 500 ? text[..500] + "…" : text).ReplaceLineEndings(" ")})";
            }
        }
        catch (JsonException)
        {
        }
        return "";
    }
}
