using Bollard.Core.Jobs;
using Bollard.Core.Oci;
using Bollard.Core.Scanning.Pipeline;

namespace Bollard.Scanning.Pipeline;

/// <summary>
/// The <c>scan</c> job kind (payload: repository, digest, force): runs <see cref="ImageScanner"/> with the job runner's
/// bounded concurrency. A failed attempt stores its reason in the scan state (visible at once) and throws, so the job
/// is retried with backoff until <see cref="ScanOptions.MaxAttempts"/>; the state then stays failed with the last reason.
/// </summary>
public sealed class ScanJobHandler(ImageScanner scanner, IScanStore scans, TimeProvider time) : IJobHandler
{
    public string Kind => ScanJobs.ScanKind;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var payload = ScanJobs.ReadScan(context.Job.Payload);
        var repository = RepositoryName.Parse(payload.Repository);
        var digest = Digest.Parse(payload.Digest);
        try
        {
            await scanner.ScanAsync(context.Job.Id, repository, digest, payload.Force,
                async (share, message) => await context.ReportProgressAsync(share, message, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            await context.ReportProgressAsync(1, "done", ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            string reason = context.Job.Attempts < context.Job.MaxAttempts
                ? $"attempt {context.Job.Attempts} of {context.Job.MaxAttempts} failed (will retry): {e.Message}"
                : $"failed after {context.Job.Attempts} attempts: {e.Message}";
            await scans.MarkFailedAsync(digest.ToString(), reason, time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }
}
