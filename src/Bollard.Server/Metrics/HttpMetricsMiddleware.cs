using System.Diagnostics;
using Bollard.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Bollard.Server.Metrics;

/// <summary>
/// Counts every request: by route template, method and status code, its duration, and the body bytes really
/// received and sent (counted as they pass, nothing buffered). Outermost, so it sees the status the client got,
/// including the 500 of an exception no handler caught.
/// </summary>
public sealed class HttpMetricsMiddleware(RequestDelegate next, BollardMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        long start = Stopwatch.GetTimestamp();
        metrics.RequestStarted();
        var request = context.Request;
        // A request without a body (GET, HEAD, most DELETEs) needs no counting stream.
        CountingRequestStream? body = null;
        if (request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0))
        {
            body = new CountingRequestStream(request.Body);
            request.Body = body;
        }
        CountingResponseBody? sent = null;
        if (context.Features.Get<IHttpResponseBodyFeature>() is { } responseBody)
        {
            sent = new CountingResponseBody(responseBody);
            context.Features.Set<IHttpResponseBodyFeature>(sent);
        }
        bool failed = false;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception) when (!context.RequestAborted.IsCancellationRequested)
        {
            failed = true;
            throw;
        }
        finally
        {
            if (body is not null) request.Body = body.Inner;
            if (sent is not null) context.Features.Set(sent.Inner);
            var response = context.Response;
            int status = failed && !response.HasStarted ? StatusCodes.Status500InternalServerError : response.StatusCode;
            metrics.RequestEnded(RouteLabel.Of(context), RouteLabel.Method(request.Method), status,
                Stopwatch.GetElapsedTime(start).TotalSeconds, body?.BytesRead ?? 0, sent?.BytesWritten ?? 0);
        }
    }
}
