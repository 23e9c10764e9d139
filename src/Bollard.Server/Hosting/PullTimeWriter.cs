using Bollard.Core.Health;
using Bollard.Core.Retention;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Hosting;

/// <summary>
/// Flushes the <see cref="PullTimeRecorder"/> every <see cref="RetentionOptions.PullFlushInterval"/> and once more on
/// graceful shutdown. A flush that fails (a locked database, a full disk) is logged, reported to
/// <see cref="BackgroundHealth"/> as <c>pull-times</c> and retried at the next interval with its entries kept; it
/// never stops the host.
/// </summary>
public sealed partial class PullTimeWriter(PullTimeRecorder recorder, RetentionOptions options, BackgroundHealth health, TimeProvider time, ILogger<PullTimeWriter> logger)
    : BackgroundService
{
    public const string Component = "pull-times";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.PullFlushInterval, time, stoppingToken).ConfigureAwait(false);
                await FlushAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        try
        {
            await recorder.FlushAsync(ct).ConfigureAwait(false);
            health.Healthy(Component);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            health.Failing(Component, $"cannot store pull times: {e.Message}");
            Log.FlushFailed(logger, recorder.Pending, e.Message, e);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await recorder.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.ShutdownFlushFailed(logger, recorder.Pending, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 700, Level = LogLevel.Error, Message = "Pull times could not be stored ({Pending} kept for the next flush): {Reason}")]
        public static partial void FlushFailed(ILogger logger, int pending, string reason, Exception e);

        [LoggerMessage(EventId = 701, Level = LogLevel.Error, Message = "Pull times recorded before shutdown could not be stored ({Pending} lost)")]
        public static partial void ShutdownFlushFailed(ILogger logger, int pending, Exception e);
    }
}
