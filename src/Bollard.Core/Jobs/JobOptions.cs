using System.ComponentModel.DataAnnotations;

namespace Bollard.Core.Jobs;

/// <summary>The background job runner. Bound from the <c>Jobs</c> configuration section.</summary>
public sealed record JobOptions
{
    public const string Section = "Jobs";

    /// <summary>Most jobs this process runs at once.</summary>
    [Range(1, 256)]
    public int MaxConcurrency { get; init; } = 2;

    /// <summary>How long a claim lasts without renewal; renewed every third of it. A dead node's jobs restart after this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the store is asked for runnable jobs (sooner when a running job ends).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Wait before the first retry of a failed attempt; doubles per attempt up to <see cref="RetryMax"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryBase { get; init; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00")]
    public TimeSpan RetryMax { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Attempts of a job enqueued without its own limit.</summary>
    [Range(1, 1000)]
    public int DefaultMaxAttempts { get; init; } = 5;

    /// <summary>Ended jobs (succeeded, failed, cancelled) older than this are deleted, except the newest
    /// <see cref="KeepPerKind"/> of each kind, so the jobs table stays bounded while recurring jobs run for years.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Ended jobs of each kind kept whatever their age (the run history of GC, retention, ...).</summary>
    [Range(0, 100000)]
    public int KeepPerKind { get; init; } = 100;

    /// <summary>How often ended jobs are pruned (the recurring job <c>jobs-prune</c>; 0 turns it off).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan PruneInterval { get; init; } = TimeSpan.FromHours(1);
}
