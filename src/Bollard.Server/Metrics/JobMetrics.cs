using Bollard.Core.Jobs;
using Prometheus;

namespace Bollard.Server.Metrics;

/// <summary><c>bollard_jobs{kind,state}</c>: background jobs queued, running, failed (and ended) by kind, read from the job store.</summary>
public sealed class JobMetrics(IJobStore jobs) : IMetricsSource
{
    private Gauge? _jobs;

    public void Register(IMetricFactory factory) =>
        _jobs = factory.CreateGauge("bollard_jobs", "Background jobs by kind and state (queued, running, succeeded, failed, cancelled), as stored.", ["kind", "state"]);

    public async Task RefreshAsync(CancellationToken ct)
    {
        var counts = await jobs.CountAsync(ct).ConfigureAwait(false);
        // Every state of every kind seen so far gets a value, so a state that emptied reads 0 instead of its last count.
        foreach (var kind in counts.Select(c => c.Kind).Distinct(StringComparer.Ordinal))
            foreach (var state in Enum.GetValues<JobState>())
                _jobs!.WithLabels(kind, StateLabel(state)).Set(counts.FirstOrDefault(c => c.Kind == kind && c.State == state)?.Count ?? 0);
    }

    private static string StateLabel(JobState state) => state switch
    {
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Succeeded => "succeeded",
        JobState.Failed => "failed",
        _ => "cancelled",
    };
}
