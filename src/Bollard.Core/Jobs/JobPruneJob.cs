namespace Bollard.Core.Jobs;

/// <summary>
/// The recurring job <c>jobs-prune</c>: deletes ended jobs older than <see cref="JobOptions.Retention"/>, keeping the
/// newest <see cref="JobOptions.KeepPerKind"/> of each kind (every recurring kind adds a row per run: a sweep every
/// 10 minutes alone is 52,000 rows a year).
/// </summary>
public sealed class JobPruneJob(IJobStore store, JobOptions options, TimeProvider time) : IJobHandler
{
    public const string JobKind = "jobs-prune";

    public string Kind => JobKind;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        int deleted = await store.PruneEndedAsync(time.GetUtcNow() - options.Retention, options.KeepPerKind, ct).ConfigureAwait(false);
        await context.ReportProgressAsync(1, $"deleted {deleted} ended jobs", ct).ConfigureAwait(false);
    }
}
