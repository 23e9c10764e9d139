namespace Bollard.Core.Webhooks;

/// <summary>One request in a webhook's queue: an event (or a ping) rendered once, sent until it succeeds.</summary>
public sealed record WebhookDelivery
{
    public long Id { get; init; }
    public long WebhookId { get; init; }

    /// <summary>The registry event's sequence; 0 for a ping.</summary>
    public long Sequence { get; init; }

    /// <summary>The payload's event id (stable: a redelivery sends the same id and body).</summary>
    public required string EventId { get; init; }

    /// <summary>The CloudEvents type, e.g. <c>dev.bollard.manifest.pushed</c> (whatever the format).</summary>
    public required string Type { get; init; }

    public required string ContentType { get; init; }
    public required byte[] Body { get; init; }
    public bool Delivered { get; init; }
    public int Attempts { get; init; }
    public DateTimeOffset NextAttemptAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? DeliveredAt { get; init; }
    public string? LastError { get; init; }
}
