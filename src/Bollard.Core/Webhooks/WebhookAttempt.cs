namespace Bollard.Core.Webhooks;

/// <summary>One entry of a webhook's delivery log: one attempt to send one delivery.</summary>
public sealed record WebhookAttempt
{
    public long Id { get; init; }
    public long WebhookId { get; init; }
    public long DeliveryId { get; init; }
    public long Sequence { get; init; }
    public string EventId { get; init; } = "";
    public int Attempt { get; init; }
    public DateTimeOffset Time { get; init; }

    /// <summary><c>delivered</c>, <c>failed</c> (error or non-2xx answer, retried) or <c>refused</c> (destination not allowed, retried).</summary>
    public required string Outcome { get; init; }

    public long LatencyMs { get; init; }

    /// <summary>The receiver's HTTP status; null when no answer came.</summary>
    public int? ResponseCode { get; init; }

    public string? Error { get; init; }
}
