using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Hosting;

/// <summary>One Information line per request: method, path, status, bytes in/out and duration.</summary>
public sealed partial class RequestLoggingMiddleware(RequestDelegate next, ILogger<RequestLoggingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            if (logger.IsEnabled(LogLevel.Information))
            {
                var request = context.Request;
                // The raw target shows what the client really sent (before decoding and dot-segment removal).
                string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "";
                long bytesIn = request.ContentLength ?? 0, bytesOut = context.Response.ContentLength ?? 0;
                double elapsedMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                string client = context.Connection.RemoteIpAddress?.ToString() ?? "-";
                Log.Request(logger, request.Method, target, context.Response.StatusCode, bytesIn, bytesOut, elapsedMs, client);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, SkipEnabledCheck = true,
            Message = "{Method} {Target} {Status} in={BytesIn} out={BytesOut} {DurationMs:0.0}ms client={Client}")]
        public static partial void Request(ILogger logger, string method, string target, int status, long bytesIn, long bytesOut, double durationMs, string client);
    }
}
