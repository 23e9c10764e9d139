using Bollard.Core.Auth;
using Microsoft.Extensions.Hosting;

namespace Bollard.Server.Hosting;

/// <summary>Runs the audit recorder's batch writer, and drains it on shutdown.</summary>
public sealed class AuditWriter(AuditRecorder recorder) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => recorder.RunAsync(stoppingToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await recorder.DrainAsync().ConfigureAwait(false);
    }
}
