using Bollard.Core.Mirror;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Hosting;

/// <summary>
/// Once at startup: deletes the stored credentials of upstreams removed from the configuration
/// (<see cref="UpstreamCredentials.RemoveUnconfiguredAsync"/>), logging each. A failure is logged, never fatal: the
/// rows are only unused, and the next start tries again.
/// </summary>
internal sealed partial class MirrorCredentialCleanup(UpstreamCredentials credentials, ILogger<MirrorCredentialCleanup> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            foreach (string upstream in await credentials.RemoveUnconfiguredAsync(stoppingToken).ConfigureAwait(false))
                LogRemoved(log, upstream);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
#pragma warning disable CA1031 // a background cleanup must not take the process down
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogFailed(log, e.Message);
        }
    }

    [LoggerMessage(EventId = 921, Level = LogLevel.Warning, Message = "Mirror: deleted the stored credentials of upstream {Upstream}, which is no longer configured")]
    private static partial void LogRemoved(ILogger logger, string upstream);

    [LoggerMessage(EventId = 922, Level = LogLevel.Warning, Message = "Mirror: could not delete the stored credentials of upstreams no longer configured (tried again at the next start): {Error}")]
    private static partial void LogFailed(ILogger logger, string error);
}
