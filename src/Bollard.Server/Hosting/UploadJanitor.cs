using Bollard.Core.Health;
using Bollard.Core.Registry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Hosting;

/// <summary>Removes abandoned upload sessions and their temp files (<see cref="RegistryOptions.UploadExpiry"/>).</summary>
public sealed partial class UploadJanitor(BlobService blobs, RegistryOptions options, TimeProvider time, BackgroundHealth health, ILogger<UploadJanitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.UploadSweepInterval, time);
        do
        {
            try
            {
                int removed = await blobs.PurgeExpiredUploadsAsync(options.UploadExpiry, stoppingToken).ConfigureAwait(false);
                if (removed > 0) Log.Purged(logger, removed);
                health.Healthy("upload-sweep");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.Failed(logger, e);
                health.Failing("upload-sweep", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Removed {Count} expired upload sessions")]
        public static partial void Purged(ILogger logger, int count);

        [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "Upload sweep failed")]
        public static partial void Failed(ILogger logger, Exception e);
    }
}
