using System.ComponentModel.DataAnnotations;

namespace Bollard.Server.Trust;

/// <summary>The server's side of trust policies: the recent-decisions log and how often a repeated decision is recorded. Section <c>Trust:Decisions</c> (docs/configuration.md).</summary>
public sealed record PolicyDecisionOptions
{
    public const string Section = "Trust:Decisions";

    /// <summary>Decisions kept for <c>GET /api/v1/decisions</c>; older ones are pruned.</summary>
    [Range(100, 10_000_000)]
    public int LogSize { get; init; } = 10_000;

    /// <summary>
    /// The same decision (point, repository, digest, policy version, outcome) is logged, audited and, when violated,
    /// sent as a <c>PolicyViolation</c> event at most once in this interval: a client pulling a violating image every
    /// second makes one record per interval, not one per pull.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RepeatInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Images a dry run evaluates at most (the rest are counted as not evaluated).</summary>
    [Range(1, 100_000)]
    public int DryRunMaxImages { get; init; } = 2_000;
}
