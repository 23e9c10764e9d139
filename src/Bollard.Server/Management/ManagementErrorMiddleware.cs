using System.Globalization;
using System.Text.Json;
using Bollard.Core.Auth;
using Bollard.Server.Auth;
using Bollard.Server.Distribution;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Management;

/// <summary>
/// Every management API error leaves here as <c>{"error":{"code":...,"message":...}}</c> (docs/api.md): refusals
/// and bad requests from the endpoints, the framework's own answers (unknown route 404, wrong method 405,
/// missing or wrong Content-Type 415, unreadable JSON 400, body over the limit 413; parameter binding throws
/// for them, see <c>RouteHandlerOptions.ThrowOnBadRequest</c>), storage failures (507/503) and bugs (500 with
/// the request id of the log line). It also bounds the request body, before any endpoint reads it.
/// </summary>
public sealed partial class ManagementErrorMiddleware(RequestDelegate next, IOptions<JsonOptions> json, AuditRecorder audit, ILogger<ManagementErrorMiddleware> logger,
    Bollard.Core.Storage.IStorageErrorTranslator? storageErrors = null)
{
    private const long MaxBodyBytes = 1024 * 1024;

    public async Task InvokeAsync(HttpContext http)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxBodyBytes;
        try
        {
            await next(http).ConfigureAwait(false);
        }
        catch (ManagementException e)
        {
            if (e.Error == ManagementError.Unauthorized) http.Response.Headers.WWWAuthenticate = "Basic realm=\"bollard\"";
            // Refused management calls (self-promotion, other principals' objects, public namespaces) are exactly
            // what an audit must show, not only the successful changes.
            if (e.Error is ManagementError.Forbidden or ManagementError.Unauthorized)
            {
                var caller = RegistryGate.KnownCaller(http);
                audit.Record(caller?.Principal.Name ?? "", http.Connection.RemoteIpAddress?.ToString() ?? "", "access.denied", "denied",
                    reference: http.Request.Path.Value, detail: $"{http.Request.Method}: {e.Message}");
            }
            await WriteAsync(http, (int)e.Error, Code(e.Error), e.Message, h =>
            {
                if (e.RetryAfter is { } wait) h.RetryAfter = Seconds(wait);
            }).ConfigureAwait(false);
            return;
        }
        catch (RegistryAuthException e)
        {
            await WriteAsync(http, e.Status, e.Code, e.Message, h =>
            {
                if (e.RetryAfter is { } wait) h.RetryAfter = Seconds(wait);
                if (e.Status == 401) h.WWWAuthenticate = "Basic realm=\"bollard\"";
            }).ConfigureAwait(false);
            return;
        }
        catch (BadHttpRequestException e)
        {
            await WriteAsync(http, e.StatusCode, StatusCode(e.StatusCode), BadRequestMessage(http, e)).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (StorageErrors.TryMap(e, storageErrors, out var mapped))
        {
            Log.StorageFailed(logger, http.TraceIdentifier, e.Message, e);
            await WriteAsync(http, mapped.Error.HttpStatus, mapped.Error.HttpStatus == 507 ? "INSUFFICIENT_STORAGE" : "UNAVAILABLE",
                $"{mapped.Error.Message} (request {http.TraceIdentifier})", h =>
                {
                    if (mapped.RetryAfter is { } wait) h.RetryAfter = Seconds(wait);
                }).ConfigureAwait(false);
            return;
        }
        catch (Exception e)
        {
            Log.Unexpected(logger, http.TraceIdentifier, e);
            await WriteAsync(http, 500, "INTERNAL_ERROR", $"unexpected error; the server log has it under request {http.TraceIdentifier}").ConfigureAwait(false);
            return;
        }
        // The framework's own refusals have no body (no endpoint, wrong method): give them the documented one.
        var response = http.Response;
        if (response.StatusCode >= 400 && !response.HasStarted && response.ContentType is null && response.ContentLength is null or 0)
        {
            string message = response.StatusCode switch
            {
                404 => $"no such endpoint: {http.Request.Method} {http.Request.Path}",
                415 => UnsupportedMediaTypeMessage(http),
                405 => $"{http.Request.Method} is not allowed on {http.Request.Path}" + (response.Headers.Allow.Count > 0 ? $" (allowed: {response.Headers.Allow})" : ""),
                _ => $"request refused ({response.StatusCode})",
            };
            await WriteAsync(http, response.StatusCode, StatusCode(response.StatusCode), message).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A 415 says what to send instead. The JSON-only rule is deliberate: a form-labelled body is what a browser
    /// may send cross-site without a CORS preflight, so accepting JSON under that label would open the API to
    /// cross-site requests from a browser holding Basic credentials.
    /// </summary>
    private static string BadRequestMessage(HttpContext http, BadHttpRequestException e) => e.StatusCode switch
    {
        415 => UnsupportedMediaTypeMessage(http),
        413 => $"the request body is over the limit of {MaxBodyBytes} bytes",
        _ when e.InnerException is JsonException j => $"the body is not valid JSON: {j.Message}",
        _ => e.Message,
    };

    private static string UnsupportedMediaTypeMessage(HttpContext http) =>
        $"send the body as JSON with 'Content-Type: application/json' (got {(http.Request.ContentType is { Length: > 0 } t ? $"'{t}'" : "no Content-Type")})";

    private static string StatusCode(int status) => status switch
    {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        409 => "CONFLICT",
        413 => "PAYLOAD_TOO_LARGE",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        429 => "TOO_MANY_REQUESTS",
        _ => "ERROR",
    };

    private static string Code(ManagementError error) => StatusCode((int)error);

    private static string Seconds(TimeSpan wait) => ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private async Task WriteAsync(HttpContext http, int status, string code, string message, Action<IHeaderDictionary>? headers = null)
    {
        var response = http.Response;
        if (response.HasStarted) { http.Abort(); return; }
        var allow = response.Headers.Allow;
        response.Clear();
        if (status == 405 && allow.Count > 0) response.Headers.Allow = allow;
        response.StatusCode = status;
        headers?.Invoke(response.Headers);
        response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(response.Body, new ApiErrorBody(new ApiError(code, message)),
            json.Value.SerializerOptions.GetTypeInfo(typeof(ApiErrorBody)), http.RequestAborted).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 110, Level = LogLevel.Error, Message = "Management request {RequestId} failed with an unexpected error")]
        public static partial void Unexpected(ILogger logger, string requestId, Exception exception);

        [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Management request {RequestId} failed in storage: {Reason}")]
        public static partial void StorageFailed(ILogger logger, string requestId, string reason, Exception exception);
    }
}
