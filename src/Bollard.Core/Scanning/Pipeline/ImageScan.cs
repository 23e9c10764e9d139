namespace Bollard.Core.Scanning.Pipeline;

/// <summary>
/// The scan state of one image manifest (per digest, shared by every repository that holds it): the state, the reason
/// of a failure or skip, the engine version and advisory-database generation the findings were matched with, and when
/// it was queued, started, finished and last matched.
/// </summary>
public sealed record ImageScan
{
    public required string Digest { get; init; }

    public required ScanState State { get; init; }

    public string? Reason { get; init; }

    /// <summary>The job that scans (or scanned) it.</summary>
    public long? JobId { get; init; }

    public int? EngineVersion { get; init; }

    /// <summary>The advisory database the stored findings were matched against (its generation, e.g. the last import id).</summary>
    public string? AdvisoryGeneration { get; init; }

    public string? Platform { get; init; }

    public int Packages { get; init; }

    public int Findings { get; init; }

    public IReadOnlyList<string> Warnings { get; init; } = [];

    public DateTimeOffset? QueuedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>When the findings were last (re-)matched.</summary>
    public DateTimeOffset? MatchedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}
