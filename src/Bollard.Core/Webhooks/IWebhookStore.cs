namespace Bollard.Core.Webhooks;

/// <summary>
/// Webhooks, their persisted delivery queues and their bounded delivery logs. Thread-safe; every method is one
/// transaction. Times are stored to the millisecond.
/// </summary>
public interface IWebhookStore
{
    /// <summary>
    /// Stores a new webhook. It receives the events with a sequence above <paramref name="startAfter"/> (the outbox
    /// head at creation: a webhook never gets the history before it).
    /// </summary>
    /// <returns>The webhook with its id.</returns>
    ValueTask<WebhookRecord> CreateAsync(WebhookRecord webhook, long startAfter, CancellationToken ct);

    /// <returns>null when there is no such webhook.</returns>
    ValueTask<WebhookRecord?> GetAsync(long id, CancellationToken ct);

    ValueTask<IReadOnlyList<WebhookRecord>> ListAsync(CancellationToken ct);

    /// <summary>
    /// Saves the editable fields (pattern, URL, events, format, description, enabled, disabled reason). Enabling a
    /// disabled webhook clears its failure count. The secret and the queue are kept.
    /// </summary>
    /// <returns>false when there is no such webhook.</returns>
    ValueTask<bool> UpdateAsync(WebhookRecord webhook, CancellationToken ct);

    /// <summary>Deletes the webhook with its queue and log.</summary>
    /// <returns>false when there is no such webhook.</returns>
    ValueTask<bool> DeleteAsync(long id, CancellationToken ct);

    /// <summary>
    /// Queues the deliveries of a batch of events and records that events up to <paramref name="upTo"/> were fanned out.
    /// Idempotent keyed by the event sequence: a delivery whose <see cref="WebhookDelivery.Sequence"/> is at or below
    /// what its webhook already had fanned out (an earlier call with the same events, or events before the webhook
    /// was created) is not queued again.
    /// </summary>
    ValueTask FanOutAsync(IReadOnlyList<WebhookDelivery> deliveries, long upTo, CancellationToken ct);

    /// <summary>Queues one delivery (a ping, a redelivery) after everything queued for its webhook.</summary>
    /// <returns>The delivery's id.</returns>
    ValueTask<long> EnqueueAsync(WebhookDelivery delivery, CancellationToken ct);

    /// <returns>The oldest undelivered delivery of the webhook (the head of its queue), or null.</returns>
    ValueTask<WebhookDelivery?> HeadAsync(long webhookId, CancellationToken ct);

    /// <returns>The enabled webhooks that have undelivered deliveries.</returns>
    ValueTask<IReadOnlyList<long>> PendingAsync(CancellationToken ct);

    /// <summary>
    /// Records an attempt of the head delivery in one transaction: the log entry (keeping the newest
    /// <paramref name="keep"/> per webhook), the delivery (delivered, or its attempt count, error and
    /// <paramref name="retryAt"/>), and the webhook's failure state (<paramref name="failures"/>,
    /// <paramref name="failingSince"/>; disabled when <paramref name="disableReason"/> is set). Delivered deliveries
    /// beyond the newest <paramref name="keep"/> are deleted.
    /// </summary>
    ValueTask RecordAttemptAsync(WebhookAttempt attempt, DateTimeOffset? retryAt, int failures, DateTimeOffset? failingSince,
        string? disableReason, int keep, CancellationToken ct);

    /// <summary>The newest deliveries of a webhook (queued and kept), newest first.</summary>
    ValueTask<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(long webhookId, int limit, CancellationToken ct);

    /// <summary>The newest log entries of a webhook, newest first.</summary>
    ValueTask<IReadOnlyList<WebhookAttempt>> ListAttemptsAsync(long webhookId, int limit, CancellationToken ct);

    /// <returns>One delivery of the webhook, or null.</returns>
    ValueTask<WebhookDelivery?> GetDeliveryAsync(long webhookId, long deliveryId, CancellationToken ct);
}
