namespace Bollard.Core.Jobs;

/// <summary>Where a job is in its life. Stored by name: add new states at the end.</summary>
public enum JobState
{
    /// <summary>Waiting for <see cref="JobRecord.NextRunAt"/> and a free runner (also between retries).</summary>
    Queued,

    /// <summary>Claimed by <see cref="JobRecord.LeaseOwner"/> until <see cref="JobRecord.LeaseExpiresAt"/>; an expired lease is claimed again.</summary>
    Running,

    Succeeded,

    /// <summary>Gave up after <see cref="JobRecord.MaxAttempts"/> attempts; <see cref="JobRecord.LastError"/> says why.</summary>
    Failed,

    Cancelled,
}
