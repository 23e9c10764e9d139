using System.Text.Json;
using Bollard.Core.Oci;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Distribution;

/// <summary>The one place that turns an error into distribution-spec's <c>{"errors":[...]}</c> body.</summary>
public static class OciErrorWriter
{
    public static async Task WriteAsync(HttpContext context, OciError error, string? detail, Action<IHeaderDictionary>? headers = null)
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
        await JsonSerializer.SerializeAsync(response.Body, body, ServerJson.Default.ErrorBody, context.RequestAborted).ConfigureAwait(false);
    }
}

public sealed record ErrorBody(IReadOnlyList<ErrorEntry> Errors);

public sealed record ErrorEntry(string Code, string Message, string? Detail);
