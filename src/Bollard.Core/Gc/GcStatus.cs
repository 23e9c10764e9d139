using Bollard.Core.Jobs;

namespace Bollard.Core.Gc;

/// <summary>A GC run as the API shows it: its job (state, attempts, error), its record and counters, what it removed.</summary>
/// <param name="Run">null until the run's first attempt started.</param>
/// <param name="Rate">Things examined or removed per second so far.</param>
/// <param name="Eta">The estimated time left (null when unknown or finished).</param>
/// <param name="Items">What it removed (or would remove) and skipped, the page asked for.</param>
public sealed record GcStatus(JobRecord Job, GcRun? Run, GcTotals Totals, double Rate, TimeSpan? Eta, IReadOnlyList<GcItem> Items)
{
    public bool DryRun => Run?.DryRun ?? GcJobHandler.ParsePayload(Job.Payload).DryRun;
}
