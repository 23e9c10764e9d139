using System.ComponentModel.DataAnnotations;

namespace Bollard.Core.Events;

/// <summary>Delivery of registry events to subscribers. Bound from the <c>Events</c> configuration section.</summary>
public sealed record EventOptions
{
    public const string Section = "Events";

    /// <summary>
    /// Deliver events to subscribers. When false, events are still recorded (in the same transaction as each
    /// change) and delivered once delivery is switched back on; for maintenance of a subscriber's target.
    /// </summary>
    public bool Deliver { get; init; } = true;

    /// <summary>How often the outbox is read when this process has not committed anything (other nodes' changes).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Most events handed to a subscriber in one call.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; init; } = 100;

    /// <summary>First wait after a subscriber failed; doubles per consecutive failure up to <see cref="RetryMax"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan RetryBase { get; init; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryMax { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Events delivered to every subscriber are deleted once they are this old, so the outbox does not grow
    /// forever. An event some subscriber has not acknowledged is kept however old it is. A subscriber added later
    /// starts from the oldest event still kept.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How often delivered events past <see cref="Retention"/> are looked for.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan PruneInterval { get; init; } = TimeSpan.FromMinutes(10);
}
