using Bollard.Core.Health;
using Bollard.Core.Usage.Quotas;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Hosting;

/// <summary>Appends the <c>QuotaExceeded</c> events of refused pushes (<see cref="QuotaExceededOutbox"/>); a failing store is retried with backoff and shown in <c>/readyz</c> as <c>quota-events</c>.</summary>
public sealed partial class QuotaEventWriter(QuotaExceededOutbox queue, TimeProvider time, BackgroundHealth health, ILogger<QuotaEventWriter> logger) : BackgroundService
{
    private const string Component = "quota-events";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        int failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await queue.RunAsync(() => { if (failures > 0) { failures = 0; health.Healthy(Component); } }, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                Log.Failed(logger, e);
                health.Failing(Component, e.Message);
                await Task.Delay(RetryBackoff.Exponential(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), failures), time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 700, Level = LogLevel.Error, Message = "Appending a QuotaExceeded event failed; retrying")]
        public static partial void Failed(ILogger logger, Exception e);
    }
}
