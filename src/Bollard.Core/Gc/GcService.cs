using Bollard.Core.Jobs;

namespace Bollard.Core.Gc;

/// <summary>
/// Starting, showing and cancelling GC runs (the management API and the CLI). Runs are <c>gc</c> jobs, unique by key
/// <c>gc</c>: a start while a run (scheduled or on demand, real or dry) is queued or running answers with that run.
/// </summary>
public sealed class GcService(IJobStore jobs, IGcRunStore runs, JobOptions jobOptions, TimeProvider time)
{
    /// <returns>The run, and whether this call created it (false: one was already queued or running).</returns>
    public async Task<(GcStatus Status, bool Created)> StartAsync(bool dryRun, string requestedBy, CancellationToken ct)
    {
        var result = await jobs.EnqueueUniqueAsync(GcJobHandler.JobKind, GcJobHandler.JobKind, GcJobHandler.Payload(dryRun, requestedBy),
            time.GetUtcNow(), jobOptions.DefaultMaxAttempts, ct).ConfigureAwait(false);
        return ((await GetAsync(result.Id, 0, 0, ct).ConfigureAwait(false))!, result.Created);
    }

    /// <returns>null when there is no GC run with that id.</returns>
    public async Task<GcStatus?> GetAsync(long id, int itemOffset, int itemLimit, CancellationToken ct)
    {
        var job = await jobs.GetAsync(id, ct).ConfigureAwait(false);
        if (job is null || job.Kind != GcJobHandler.JobKind) return null;
        var run = await runs.GetAsync(id, ct).ConfigureAwait(false);
        var totals = await runs.TotalsAsync(id, ct).ConfigureAwait(false);
        var items = itemLimit > 0 ? await runs.ListItemsAsync(id, itemOffset, itemLimit, ct).ConfigureAwait(false) : [];
        double rate = 0;
        TimeSpan? eta = null;
        if (run is not null)
        {
            double done = Math.Min(run.ManifestsExamined, run.ManifestsTotal) + Math.Min(run.BlobsExamined, run.BlobsTotal) + run.Done;
            double left = Math.Max(0, run.ManifestsTotal - run.ManifestsExamined) + Math.Max(0, run.BlobsTotal - run.BlobsExamined) + Math.Max(0, run.Planned - run.Done);
            var end = run.FinishedAt ?? (job.State == JobState.Running ? time.GetUtcNow() : run.UpdatedAt);
            double seconds = (end - run.StartedAt).TotalSeconds;
            rate = seconds > 0 ? done / seconds : 0;
            if (job.State is JobState.Running or JobState.Queued && run.FinishedAt is null && rate > 0) eta = TimeSpan.FromSeconds(left / rate);
        }
        return new GcStatus(job, run, totals, rate, eta, items);
    }

    /// <summary>The newest runs, newest first.</summary>
    public async Task<IReadOnlyList<GcStatus>> ListAsync(int limit, CancellationToken ct)
    {
        var list = new List<GcStatus>();
        foreach (var job in await jobs.ListAsync(GcJobHandler.JobKind, limit, ct).ConfigureAwait(false))
            if (await GetAsync(job.Id, 0, 0, ct).ConfigureAwait(false) is { } status) list.Add(status);
        return list;
    }

    /// <returns>null when there is no such run; else the run after asking (a running one stops at its next lease renewal).</returns>
    public async Task<(GcStatus Status, bool Cancelled)?> CancelAsync(long id, CancellationToken ct)
    {
        if (await GetAsync(id, 0, 0, ct).ConfigureAwait(false) is null) return null;
        bool asked = await jobs.CancelAsync(id, ct).ConfigureAwait(false);
        return ((await GetAsync(id, 0, 0, ct).ConfigureAwait(false))!, asked);
    }
}
