using Bollard.Core.Auth;
using Bollard.Core.Health;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Hosting;

/// <summary>
/// Runs the audit recorder's batch writer, and drains it on shutdown. A batch that cannot be stored (a database
/// locked by another process, a full disk) is logged, reported to <see cref="BackgroundHealth"/> (so <c>/readyz</c>
/// answers 503 with the reason) and retried with backoff by the recorder; it never stops the host. Should the loop
/// itself fail, it is restarted after a pause.
/// </summary>
public sealed partial class AuditWriter : BackgroundService
{
    public const string Component = "audit-writer";
    private readonly AuditRecorder _recorder;
    private readonly BackgroundHealth _health;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditWriter> _logger;

    public AuditWriter(AuditRecorder recorder, BackgroundHealth health, TimeProvider time, ILogger<AuditWriter> logger)
    {
        (_recorder, _health, _time, _logger) = (recorder, health, time, logger);
        recorder.WriteFailed = OnWriteFailed;
        recorder.Written = OnWritten;
    }

    private void OnWriteFailed(Exception e, int attempt, TimeSpan retryIn)
    {
        _health.Failing(Component, $"cannot store audit events: {e.Message}");
        Log.WriteFailed(_logger, attempt, retryIn.TotalSeconds, e.Message, e);
    }

    private void OnWritten(long dropped)
    {
        if (dropped > 0) Log.Dropped(_logger, dropped, AuditRecorder.MaxQueued);
        bool wasFailing = _health.Snapshot().Any(c => c.Component == Component && !c.Healthy);
        _health.Healthy(Component);
        if (wasFailing) Log.Recovered(_logger);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _recorder.RunAsync(stoppingToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _health.Failing(Component, $"audit writer failed: {e.Message}");
                Log.LoopFailed(_logger, e);
                await Task.Delay(TimeSpan.FromSeconds(5), _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _recorder.DrainAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.DrainFailed(_logger, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 320, Level = LogLevel.Error, Message = "Audit events could not be stored (attempt {Attempt}); they are kept and retried in {RetrySeconds:0.#} s: {Reason}")]
        public static partial void WriteFailed(ILogger logger, int attempt, double retrySeconds, string reason, Exception e);

        [LoggerMessage(EventId = 321, Level = LogLevel.Information, Message = "Audit events are stored again")]
        public static partial void Recovered(ILogger logger);

        [LoggerMessage(EventId = 322, Level = LogLevel.Warning, Message = "{Dropped} audit events were dropped while the audit log could not be written ({Max} were waiting); an audit.dropped event records it")]
        public static partial void Dropped(ILogger logger, long dropped, int max);

        [LoggerMessage(EventId = 323, Level = LogLevel.Critical, Message = "The audit writer failed; restarting it in 5 s")]
        public static partial void LoopFailed(ILogger logger, Exception e);

        [LoggerMessage(EventId = 324, Level = LogLevel.Error, Message = "Audit events queued at shutdown could not be stored")]
        public static partial void DrainFailed(ILogger logger, Exception e);
    }
}
