using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Bollard.Core.Oci;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Distribution;

/// <summary>The one place that turns an error into distribution-spec's <c>{"errors":[...]}</c> body.</summary>
public static class OciErrorWriter
{
    /// <summary>
    /// Error text is served as <c>application/json</c>, never inlined into HTML, so HTML-sensitive characters
    /// need no escaping: <c>'</c> stays <c>'</c> instead of <c>\u0027</c> (issue 6, C8). Control characters
    /// and unpaired surrogates are still escaped, so the body is always valid JSON.
    /// </summary>
    internal static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = ServerJson.Default,
    };

    public static Task WriteAsync(HttpContext context, OciError error, string? detail, Action<IHeaderDictionary>? headers = null) =>
        WriteAsync(context, error, detail is null ? null : JsonValue.Create(detail), headers);

    /// <summary>With a structured <c>detail</c> (e.g. <c>{"requestId":"..."}</c>).</summary>
    public static Task WriteWithDetailAsync(HttpContext context, OciError error, IReadOnlyDictionary<string, string> detail, Action<IHeaderDictionary>? headers = null)
    {
        var node = new JsonObject();
        foreach (var (key, value) in detail) node[key] = value;
        return WriteAsync(context, error, node, headers);
    }

    private static async Task WriteAsync(HttpContext context, OciError error, JsonNode? detail, Action<IHeaderDictionary>? headers)
    {
        var response = context.Response;
        if (response.HasStarted) { context.Abort(); return; }
        response.Clear();
        response.StatusCode = error.HttpStatus;
        response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        headers?.Invoke(response.Headers);
        if (HttpMethods.IsHead(context.Request.Method)) return;
        response.ContentType = "application/json; charset=utf-8";
        var body = new ErrorBody([new ErrorEntry(error.Code, error.Message, detail)]);
        await JsonSerializer.SerializeAsync(response.Body, body, Options.GetTypeInfo(typeof(ErrorBody)), context.RequestAborted).ConfigureAwait(false);
    }
}

public sealed record ErrorBody(IReadOnlyList<ErrorEntry> Errors);

/// <param name="Detail">A string, or a JSON object (distribution-spec: "detail" is unstructured, OPTIONAL).</param>
public sealed record ErrorEntry(string Code, string Message, JsonNode? Detail);
