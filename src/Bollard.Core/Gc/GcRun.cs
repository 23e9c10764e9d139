namespace Bollard.Core.Gc;

/// <summary>A GC run's record (its job id), with its progress counters.</summary>
public sealed record GcRun
{
    public required long JobId { get; init; }
    public required bool DryRun { get; init; }
    public required string RequestedBy { get; init; }

    /// <summary><c>starting</c>, <c>resuming</c>, <c>manifests</c>, <c>blobs</c>, <c>finished</c>.</summary>
    public required string Phase { get; init; }

    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public long ManifestsTotal { get; init; }
    public long ManifestsExamined { get; init; }
    public long BlobsTotal { get; init; }
    public long BlobsExamined { get; init; }

    /// <summary>Removals planned so far, and done (or, in a dry run, listed).</summary>
    public long Planned { get; init; }

    public long Done { get; init; }
}
