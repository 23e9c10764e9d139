namespace Bollard.Core.Jobs;

/// <summary>
/// A job kind that <see cref="RecurringJobScheduler"/> enqueues every <see cref="Interval"/> (unique by kind: never a
/// second one while one is queued or running, on any node). Register one per kind, e.g.
/// <c>services.AddRecurringJob("retention", sp =&gt; sp.GetRequiredService&lt;RetentionOptions&gt;().Interval)</c>;
/// the kind also needs an <see cref="IJobHandler"/>.
/// </summary>
public sealed record RecurringJob
{
    public required string Kind { get; init; }

    /// <summary>Time between runs; <see cref="TimeSpan.Zero"/> turns the schedule off (on-demand runs still work).</summary>
    public required TimeSpan Interval { get; init; }

    /// <summary>The payload of each scheduled run.</summary>
    public string Payload { get; init; } = "{}";

    /// <summary>Attempts of each run (null: <see cref="JobOptions.DefaultMaxAttempts"/>).</summary>
    public int? MaxAttempts { get; init; }
}
