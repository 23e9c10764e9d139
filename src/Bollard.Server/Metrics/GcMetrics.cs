using Bollard.Core.Gc;
using Bollard.Core.Jobs;
using Prometheus;

namespace Bollard.Server.Metrics;

/// <summary>
/// Garbage collection as Prometheus sees it, read from the stored runs (so every node reports the same numbers,
/// whichever ran GC): whether a run is going on and how far it is, and what the last finished run freed.
/// </summary>
public sealed class GcMetrics(GcService gc) : IMetricsSource
{
    private Gauge? _running;
    private Gauge? _examined;
    private Gauge? _total;
    private Gauge? _rate;
    private Gauge? _eta;
    private Gauge? _lastFreedBytes;
    private Gauge? _lastRemoved;
    private Gauge? _lastFinished;
    private Gauge? _lastDuration;

    public void Register(IMetricFactory factory)
    {
        _running = factory.CreateGauge("bollard_gc_running", "1 while a garbage-collection run (not a dry run) is running, else 0.");
        _examined = factory.CreateGauge("bollard_gc_examined", "Manifests and blobs the current (or last) real run examined so far.", ["object"]);
        _total = factory.CreateGauge("bollard_gc_to_examine", "Manifests and blobs the current (or last) real run has to examine.", ["object"]);
        _rate = factory.CreateGauge("bollard_gc_rate_per_second", "Things examined or removed per second by the current run (0 when none runs).");
        _eta = factory.CreateGauge("bollard_gc_eta_seconds", "Estimated time left of the current run (0 when none runs or unknown).");
        _lastFreedBytes = factory.CreateGauge("bollard_gc_last_freed_bytes", "Bytes the last finished real run freed.");
        _lastRemoved = factory.CreateGauge("bollard_gc_last_removed", "What the last finished real run removed, by object (manifests, links, blobs) and skipped.", ["object"]);
        _lastFinished = factory.CreateGauge("bollard_gc_last_finished_timestamp_seconds", "When the last real run finished (Unix time; 0 if none did).");
        _lastDuration = factory.CreateGauge("bollard_gc_last_duration_seconds", "How long the last finished real run took.");
    }

    public async Task RefreshAsync(CancellationToken ct)
    {
        var runs = (await gc.ListAsync(20, ct).ConfigureAwait(false)).Where(r => !r.DryRun).ToList();
        var current = runs.FirstOrDefault(r => r.Job.State is JobState.Running or JobState.Queued && r.Run is not null);
        _running!.Set(current is { Job.State: JobState.Running } ? 1 : 0);
        _rate!.Set(current?.Rate ?? 0);
        _eta!.Set(current?.Eta?.TotalSeconds ?? 0);
        if ((current ?? runs.FirstOrDefault(r => r.Run is not null))?.Run is { } progress)
        {
            _examined!.WithLabels("manifests").Set(progress.ManifestsExamined);
            _examined.WithLabels("blobs").Set(progress.BlobsExamined);
            _total!.WithLabels("manifests").Set(progress.ManifestsTotal);
            _total.WithLabels("blobs").Set(progress.BlobsTotal);
        }
        var last = runs.FirstOrDefault(r => r.Job.State == JobState.Succeeded && r.Run?.FinishedAt is not null);
        if (last?.Run is { FinishedAt: { } finished } run)
        {
            _lastFreedBytes!.Set(last.Totals.BytesFreed);
            _lastRemoved!.WithLabels("manifests").Set(last.Totals.Manifests);
            _lastRemoved.WithLabels("links").Set(last.Totals.Links);
            _lastRemoved.WithLabels("blobs").Set(last.Totals.Blobs);
            _lastRemoved.WithLabels("skipped").Set(last.Totals.Skipped);
            _lastFinished!.Set(finished.ToUnixTimeMilliseconds() / 1000.0);
            _lastDuration!.Set((finished - run.StartedAt).TotalSeconds);
        }
    }
}
