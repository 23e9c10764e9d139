using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Pipeline;

namespace Bollard.Trust.Policy;

/// <summary>Where the scan of an image is, as the policy engine sees it.</summary>
public enum ScanFactsState
{
    /// <summary>Never queued (scanning is off, or the push predates it).</summary>
    None,

    Queued,

    Running,

    Done,

    /// <summary>The last attempt failed (<see cref="ScanFacts.Reason"/>).</summary>
    Failed,

    /// <summary>Not scannable: not an image (<see cref="ScanFacts.Reason"/> says what).</summary>
    Skipped,
}

/// <summary>
/// What the scanner knows about one image, for the policy's scanner rules (<see cref="IScanFactsSource"/> gathers it).
/// For an index the source gives the union of its children's findings (and <see cref="ScanFactsState.Done"/> only when
/// every child was scanned).
/// </summary>
public sealed record ScanFacts
{
    public static ScanFacts NotScanned { get; } = new() { State = ScanFactsState.None };

    public required ScanFactsState State { get; init; }

    /// <summary>Why it failed or was skipped.</summary>
    public string? Reason { get; init; }

    /// <summary>
    /// Findings of a finished scan are stored (<see cref="Findings"/> is the whole truth), even when
    /// <see cref="State"/> says a re-scan is queued or running: a re-scan must not make an image "not scanned" again.
    /// </summary>
    public bool Scanned { get; init; }

    /// <summary>The stored findings, as matched (their <see cref="FindingStatus"/>: VEX <c>not_affected</c>/<c>fixed</c> never count).</summary>
    public IReadOnlyList<Finding> Findings { get; init; } = [];

    /// <summary>An SBOM of the image is stored (a CycloneDX or SPDX referrer).</summary>
    public bool SbomStored { get; init; }

    /// <summary>When the image was first pushed into (or first admitted by) this registry; null: unknown (then no grace period applies).</summary>
    public DateTimeOffset? AdmittedAt { get; init; }

    /// <summary>When each advisory (by id or alias, case-insensitive) was published; a missing one counts as published long ago.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> AdvisoryPublished { get; init; } = new Dictionary<string, DateTimeOffset>();

    /// <summary>The exceptions that may apply (the evaluator checks scope and expiry itself: an expired exception stops counting).</summary>
    public IReadOnlyList<ScanExceptionRule> Exceptions { get; init; } = [];
}
