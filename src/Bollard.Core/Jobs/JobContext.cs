namespace Bollard.Core.Jobs;

/// <summary>What a running job's handler gets: the job, and a way to report progress.</summary>
public sealed class JobContext(JobRecord job, IJobStore store, string owner)
{
    public JobRecord Job { get; } = job;

    /// <summary>Stores how far the job got (0 to 1, clamped), visible in <see cref="IJobStore.GetAsync"/>.</summary>
    /// <returns>false when the lease is lost (the job should stop; its token is cancelled soon anyway).</returns>
    public async ValueTask<bool> ReportProgressAsync(double progress, string? message, CancellationToken ct) =>
        await store.ReportProgressAsync(Job.Id, owner, Math.Clamp(progress, 0, 1), message, ct).ConfigureAwait(false);
}
