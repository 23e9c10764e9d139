using Bollard.Core.Jobs;
using Bollard.Core.Registry;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Hosting;

/// <summary>
/// The recurring job <c>upload-sweep</c> (every <see cref="RegistryOptions.UploadSweepInterval"/>): removes abandoned
/// upload sessions and their data (<see cref="RegistryOptions.UploadExpiry"/>). A job, so that with several nodes one
/// sweeps per interval; a failure is retried with backoff and stored with the job (<c>bollard_jobs{state="failed"}</c>).
/// </summary>
public sealed partial class UploadSweepJob(BlobService blobs, RegistryOptions options, ILogger<UploadSweepJob> logger) : IJobHandler
{
    public const string JobKind = "upload-sweep";

    public string Kind => JobKind;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        int removed = await blobs.PurgeExpiredUploadsAsync(options.UploadExpiry, ct).ConfigureAwait(false);
        if (removed > 0) Log.Purged(logger, removed);
        await context.ReportProgressAsync(1, $"removed {removed} expired upload sessions", ct).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Removed {Count} expired upload sessions")]
        public static partial void Purged(ILogger logger, int count);
    }
}
