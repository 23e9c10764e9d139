namespace Bollard.Core.Jobs;

/// <summary>One background job as stored. <see cref="Payload"/> is the handler's own (JSON by convention), opaque to the store.</summary>
public sealed record JobRecord
{
    public required long Id { get; init; }
    public required string Kind { get; init; }
    public required string Payload { get; init; }
    public required JobState State { get; init; }

    /// <summary>Attempts started so far (a claim starts one).</summary>
    public int Attempts { get; init; }

    public int MaxAttempts { get; init; }
    public string? LeaseOwner { get; init; }
    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>Not claimed before this time (the retry backoff, or a scheduled start).</summary>
    public DateTimeOffset NextRunAt { get; init; }

    /// <summary>0 to 1, as last reported by the handler.</summary>
    public double Progress { get; init; }

    public string? ProgressMessage { get; init; }
    public string? LastError { get; init; }

    /// <summary>Cancellation was asked for while it ran; the runner stops the handler at its next lease renewal.</summary>
    public bool CancelRequested { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}
