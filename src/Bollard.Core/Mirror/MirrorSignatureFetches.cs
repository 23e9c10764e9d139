using Bollard.Core.Jobs;
using Bollard.Core.Oci;

namespace Bollard.Core.Mirror;

/// <summary>
/// Queues the fetch of a newly mirrored image's signatures and referrers (<see cref="MirrorSignatureJob"/>) as a durable
/// job: it survives a restart, is retried with backoff while the upstream is down, and one image is never queued twice.
/// </summary>
public sealed class MirrorSignatureFetches(IJobStore jobs, TimeProvider time)
{
    private const int MaxAttempts = 5;

    public async Task EnqueueAsync(RepositoryName repository, Digest subject, CancellationToken ct) =>
        await jobs.EnqueueUniqueAsync(MirrorSignatureJob.JobKind, $"{repository}@{subject}", MirrorSignatureJob.Payload(repository, subject),
            time.GetUtcNow(), MaxAttempts, ct).ConfigureAwait(false);
}
