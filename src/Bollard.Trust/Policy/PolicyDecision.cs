using Bollard.Trust.Signatures;

namespace Bollard.Trust.Policy;

/// <summary>How a policy is enforced where it applies. Stored by name.</summary>
public enum PolicyMode
{
    /// <summary>No policy applies, or the policy is switched off: everything is allowed and nothing is evaluated.</summary>
    Off,

    /// <summary>Violations are logged, audited and returned as warnings; nothing is blocked.</summary>
    Warn,

    /// <summary>Violations block: the pull gate answers DENIED, admission denies, <c>bollard policy test</c> exits non-zero.</summary>
    Enforce,
}

/// <summary>Where a decision is asked for (shown with recent decisions; the rules are the same at every point).</summary>
public enum DecisionPoint
{
    Pull,
    Admission,
    PolicyTest,
    DryRun,
}

/// <summary>
/// The policy engine's answer for one image: allowed or not, and every reason a person needs to see why — which
/// requirement failed, which advisories count, which signatures were found and why each did or did not count.
/// </summary>
public sealed record PolicyDecision
{
    /// <summary>What the enforcement point does: false only when an enforcing policy is violated.</summary>
    public required bool Allowed { get; init; }

    public required PolicyMode Mode { get; init; }

    /// <summary>The policy that applied (its name); null when none did.</summary>
    public string? Policy { get; init; }

    /// <summary>The policy's version evaluated.</summary>
    public long? PolicyVersion { get; init; }

    public required string Repository { get; init; }

    public required string Digest { get; init; }

    /// <summary>Every violated rule, readable (<c>requirement allOf(dev, ci, release): release: no signature trusted by key release</c>); empty when the policy is met.</summary>
    public IReadOnlyList<string> Violations { get; init; } = [];

    /// <summary>What passed and other notes (<c>signed by dev (cosign key)</c>, <c>2 findings excepted until …</c>).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The signatures found, each with why it did or did not count.</summary>
    public IReadOnlyList<SignatureVerdict> Signatures { get; init; } = [];

    /// <summary>The advisories that count against the severity rule (after exceptions, fixability and grace).</summary>
    public IReadOnlyList<string> Advisories { get; init; } = [];

    public required DateTimeOffset EvaluatedAt { get; init; }

    /// <summary>
    /// The earliest time this decision can change by itself, with no new signature, finding or policy: an exception
    /// expiring, a grace period ending, a signing certificate expiring. Null: not by time alone. Caches end here.
    /// </summary>
    public DateTimeOffset? ValidUntil { get; init; }

    /// <summary>Served from the decision cache.</summary>
    public bool Cached { get; init; }

    public bool Violated => Violations.Count > 0;
}
