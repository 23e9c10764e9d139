namespace Bollard.Core.Gc;

/// <summary>The records of GC runs (keyed by their job id) and the items each removed. Each call is one short transaction.</summary>
public interface IGcRunStore
{
    /// <summary>Creates the run's record, or keeps the existing one (a resumed attempt).</summary>
    /// <returns>true when created (the first attempt).</returns>
    ValueTask<bool> StartAsync(long jobId, bool dryRun, string requestedBy, CancellationToken ct);

    /// <summary>Stores phase and counters (not <see cref="GcRun.StartedAt"/>, <see cref="GcRun.DryRun"/>, <see cref="GcRun.RequestedBy"/>).</summary>
    ValueTask UpdateAsync(GcRun run, CancellationToken ct);

    /// <summary>Adds items (an item already recorded for the run is kept once).</summary>
    ValueTask AddItemsAsync(long jobId, IReadOnlyCollection<GcItem> items, CancellationToken ct);

    /// <summary>Drops the run's items (a dry run that starts over).</summary>
    ValueTask ClearItemsAsync(long jobId, CancellationToken ct);

    ValueTask FinishAsync(long jobId, CancellationToken ct);

    ValueTask<GcRun?> GetAsync(long jobId, CancellationToken ct);

    ValueTask<GcTotals> TotalsAsync(long jobId, CancellationToken ct);

    /// <summary>The run's items in a stable order (kind, repository, digest), at most <paramref name="limit"/> after skipping <paramref name="offset"/>.</summary>
    ValueTask<IReadOnlyList<GcItem>> ListItemsAsync(long jobId, int offset, int limit, CancellationToken ct);
}
