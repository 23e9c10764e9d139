using System.ComponentModel.DataAnnotations;

namespace Bollard.Core.Retention;

/// <summary>Retention and last-pull times. Bound from the <c>Retention</c> configuration section.</summary>
public sealed record RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>How often the retention job runs (a <c>retention</c> job); 0 turns the schedule off (on-demand runs still work).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan Interval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How often recorded pulls are written to the database (one transaction per flush).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PullFlushInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Distinct tags and manifests whose pull time is held between flushes; pulls of others are not recorded
    /// until the next flush (bounded memory whatever clients pull).</summary>
    [Range(1, 10_000_000)]
    public int MaxPendingPulls { get; init; } = 100_000;
}
