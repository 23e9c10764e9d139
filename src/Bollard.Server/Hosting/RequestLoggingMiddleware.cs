using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Hosting;

/// <summary>
/// One Information line per request: method, raw target, the status really sent, bytes in/out, duration and the
/// request id (also sent as <c>X-Request-Id</c>, and quoted in every 500 body, so a user's report finds its line).
/// Bytes out are counted as the body is written (<see cref="CountingResponseBody"/>), so chunked responses
/// (JSON lists, ranged blobs) are not logged as <c>out=0</c>.
/// </summary>
public sealed partial class RequestLoggingMiddleware(RequestDelegate next, ILogger<RequestLoggingMiddleware> logger)
{
    public const string RequestIdHeader = "X-Request-Id";

    public async Task InvokeAsync(HttpContext context)
    {
        long start = Stopwatch.GetTimestamp();
        var response = context.Response;
        // OnStarting, not now: an error writer clears the headers before it writes, this survives that.
        response.OnStarting(static state =>
        {
            var c = (HttpContext)state;
            c.Response.Headers[RequestIdHeader] = c.TraceIdentifier;
            return Task.CompletedTask;
        }, context);
        CountingResponseBody? counter = null;
        bool ownCounter = false;
        if (logger.IsEnabled(LogLevel.Information) && context.Features.Get<IHttpResponseBodyFeature>() is { } body)
        {
            // The metrics middleware (outside this one) counts already: read its count instead of wrapping twice.
            counter = body as CountingResponseBody;
            if (counter is null)
            {
                counter = new CountingResponseBody(body);
                context.Features.Set<IHttpResponseBodyFeature>(counter);
                ownCounter = true;
            }
        }
        bool failed = false;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Escaped every handler: the server answers 500 (or aborts a started response). Log that, not the 200
            // the response still holds.
            failed = true;
            throw;
        }
        finally
        {
            if (counter is not null)
            {
                if (ownCounter) context.Features.Set(counter.Inner);
                var request = context.Request;
                // The raw target shows what the client really sent (before decoding and dot-segment removal).
                string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "";
                int status = failed && !response.HasStarted ? StatusCodes.Status500InternalServerError : response.StatusCode;
                long bytesIn = request.ContentLength ?? 0;
                double elapsedMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                string client = context.Connection.RemoteIpAddress?.ToString() ?? "-";
                Log.Request(logger, request.Method, target, status, bytesIn, counter.BytesWritten, elapsedMs, client, context.TraceIdentifier);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, SkipEnabledCheck = true,
            Message = "{Method} {Target} {Status} in={BytesIn} out={BytesOut} {DurationMs:0.0}ms client={Client} id={RequestId}")]
        public static partial void Request(ILogger logger, string method, string target, int status, long bytesIn, long bytesOut, double durationMs, string client, string requestId);
    }
}
