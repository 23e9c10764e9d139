using Bollard.Core.Auth;
using Bollard.Core.Events;
using Bollard.Core.Webhooks;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>
/// <see cref="IWebhookStore"/> over <c>webhooks</c>, <c>webhook_deliveries</c> and <c>webhook_attempts</c>
/// (<c>Migrations/0070_webhooks.sql</c>). Each method is one transaction on the single writer. Fan-out is idempotent
/// through <c>webhooks.fanout_sequence</c>: a delivery is inserted only while its sequence is above it, and the same
/// transaction raises it to the batch's last sequence.
/// </summary>
public sealed class SqliteWebhookStore(SqliteDatabase db) : IWebhookStore
{
    private const string WebhookColumns =
        """
        id AS Id, pattern AS Pattern, url AS Url, events AS Events, format AS Format, description AS Description, secret AS Secret,
        enabled AS Enabled, disabled_reason AS DisabledReason, consecutive_failures AS ConsecutiveFailures, failing_since AS FailingSince,
        created_by AS CreatedBy, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    private const string DeliveryColumns =
        """
        id AS Id, webhook_id AS WebhookId, sequence AS Sequence, event_id AS EventId, type AS Type, content_type AS ContentType, body AS Body,
        delivered AS Delivered, attempts AS Attempts, next_attempt_at AS NextAttemptAt, created_at AS CreatedAt, delivered_at AS DeliveredAt,
        last_error AS LastError
        """;

    private const string AttemptColumns =
        """
        id AS Id, webhook_id AS WebhookId, delivery_id AS DeliveryId, sequence AS Sequence, event_id AS EventId, attempt AS Attempt, time AS Time,
        outcome AS Outcome, latency_ms AS LatencyMs, response_code AS ResponseCode, error AS Error
        """;

    private const string InsertDelivery =
        """
        INSERT INTO webhook_deliveries(webhook_id, sequence, event_id, type, content_type, body, next_attempt_at, created_at)
        """;

    public async ValueTask<WebhookRecord> CreateAsync(WebhookRecord webhook, long startAfter, CancellationToken ct)
    {
        long id = await db.WriteAsync((c, tx) => c.ExecuteScalarAsync<long>(
            """
            INSERT INTO webhooks(pattern, url, events, format, description, secret, enabled, fanout_sequence, created_by, created_at, updated_at)
            VALUES (@pattern, @url, @events, @format, @description, @secret, @enabled, @startAfter, @createdBy, @createdAt, @updatedAt);
            SELECT last_insert_rowid();
            """, new
            {
                pattern = webhook.Pattern.Value, url = webhook.Url.ToString(), events = Kinds(webhook.Events), format = webhook.Format.ToString(),
                description = webhook.Description, secret = webhook.Secret, enabled = webhook.Enabled ? 1 : 0, startAfter, createdBy = webhook.CreatedBy,
                createdAt = Ms(webhook.CreatedAt), updatedAt = Ms(webhook.UpdatedAt),
            }, tx), ct).ConfigureAwait(false);
        return webhook with { Id = id };
    }

    public async ValueTask<WebhookRecord?> GetAsync(long id, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<WebhookRow>($"SELECT {WebhookColumns} FROM webhooks WHERE id = @id", new { id })).ConfigureAwait(false))?.ToRecord();

    public async ValueTask<IReadOnlyList<WebhookRecord>> ListAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<WebhookRow>($"SELECT {WebhookColumns} FROM webhooks ORDER BY id")).ConfigureAwait(false))
            .Select(r => r.ToRecord()).ToList();

    public async ValueTask<bool> UpdateAsync(WebhookRecord webhook, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) =>
        {
            bool wasDisabled = await c.ExecuteScalarAsync<long?>("SELECT enabled FROM webhooks WHERE id = @id", new { id = webhook.Id }, tx).ConfigureAwait(false) == 0;
            int changed = await c.ExecuteAsync(
                """
                UPDATE webhooks SET pattern = @pattern, url = @url, events = @events, format = @format, description = @description, enabled = @enabled,
                       disabled_reason = @disabledReason, consecutive_failures = @failures, failing_since = @failingSince, updated_at = @updatedAt
                WHERE id = @id
                """, new
                {
                    id = webhook.Id, pattern = webhook.Pattern.Value, url = webhook.Url.ToString(), events = Kinds(webhook.Events), format = webhook.Format.ToString(),
                    description = webhook.Description, enabled = webhook.Enabled ? 1 : 0, disabledReason = webhook.DisabledReason,
                    failures = webhook.ConsecutiveFailures, failingSince = webhook.FailingSince is { } f ? Ms(f) : (long?)null, updatedAt = Ms(webhook.UpdatedAt),
                }, tx).ConfigureAwait(false);
            // Enabled again: what waits in its queue is due now, not after the backoff it had reached.
            if (changed > 0 && wasDisabled && webhook.Enabled)
                await c.ExecuteAsync("UPDATE webhook_deliveries SET next_attempt_at = @now WHERE webhook_id = @id AND delivered = 0",
                    new { id = webhook.Id, now = Ms(webhook.UpdatedAt) }, tx).ConfigureAwait(false);
            return changed > 0;
        }, ct).ConfigureAwait(false);

    public async ValueTask<bool> DeleteAsync(long id, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync("DELETE FROM webhooks WHERE id = @id", new { id }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);

    public async ValueTask FanOutAsync(IReadOnlyList<WebhookDelivery> deliveries, long upTo, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) =>
        {
            foreach (var d in deliveries)
                await c.ExecuteAsync(
                    $"""
                    {InsertDelivery}
                    SELECT @WebhookId, @Sequence, @EventId, @Type, @ContentType, @Body, @Next, @Created
                    WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = @WebhookId AND fanout_sequence < @Sequence)
                    """, Args(d), tx).ConfigureAwait(false);
            await c.ExecuteAsync("UPDATE webhooks SET fanout_sequence = @upTo WHERE fanout_sequence < @upTo", new { upTo }, tx).ConfigureAwait(false);
            return 0;
        }, ct).ConfigureAwait(false);

    public async ValueTask<long> EnqueueAsync(WebhookDelivery delivery, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteScalarAsync<long>(
            $"""
            {InsertDelivery} VALUES (@WebhookId, @Sequence, @EventId, @Type, @ContentType, @Body, @Next, @Created);
            SELECT last_insert_rowid();
            """, Args(delivery), tx), ct).ConfigureAwait(false);

    public async ValueTask<WebhookDelivery?> HeadAsync(long webhookId, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryFirstOrDefaultAsync<DeliveryRow>(
            $"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE webhook_id = @webhookId AND delivered = 0 ORDER BY id LIMIT 1", new { webhookId })).ConfigureAwait(false))?.ToRecord();

    public async ValueTask<IReadOnlyList<long>> PendingAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<long>(
            "SELECT w.id FROM webhooks w WHERE w.enabled = 1 AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.delivered = 0) ORDER BY w.id"))
            .ConfigureAwait(false)).ToList();

    public async ValueTask RecordAttemptAsync(WebhookAttempt attempt, DateTimeOffset? retryAt, int failures, DateTimeOffset? failingSince,
        string? disableReason, int keep, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) =>
        {
            var args = new
            {
                webhookId = attempt.WebhookId, deliveryId = attempt.DeliveryId, sequence = attempt.Sequence, eventId = attempt.EventId, attempt = attempt.Attempt,
                time = Ms(attempt.Time), outcome = attempt.Outcome, latency = attempt.LatencyMs, code = attempt.ResponseCode, error = attempt.Error,
                retryAt = retryAt is { } r ? Ms(r) : (long?)null, failures, failingSince = failingSince is { } f ? Ms(f) : (long?)null, disableReason, keep,
            };
            await c.ExecuteAsync(
                """
                INSERT INTO webhook_attempts(webhook_id, delivery_id, sequence, event_id, attempt, time, outcome, latency_ms, response_code, error)
                SELECT @webhookId, @deliveryId, @sequence, @eventId, @attempt, @time, @outcome, @latency, @code, @error
                WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = @webhookId);
                DELETE FROM webhook_attempts WHERE webhook_id = @webhookId AND id <= (
                    SELECT id FROM webhook_attempts WHERE webhook_id = @webhookId ORDER BY id DESC LIMIT 1 OFFSET @keep);
                UPDATE webhook_deliveries SET attempts = @attempt, last_error = @error,
                       delivered = CASE WHEN @retryAt IS NULL THEN 1 ELSE 0 END,
                       delivered_at = CASE WHEN @retryAt IS NULL THEN @time ELSE NULL END,
                       next_attempt_at = COALESCE(@retryAt, next_attempt_at)
                WHERE id = @deliveryId;
                DELETE FROM webhook_deliveries WHERE webhook_id = @webhookId AND delivered = 1 AND id <= (
                    SELECT id FROM webhook_deliveries WHERE webhook_id = @webhookId AND delivered = 1 ORDER BY id DESC LIMIT 1 OFFSET @keep);
                UPDATE webhooks SET consecutive_failures = @failures, failing_since = @failingSince,
                       enabled = CASE WHEN @disableReason IS NULL THEN enabled ELSE 0 END,
                       disabled_reason = COALESCE(@disableReason, disabled_reason)
                WHERE id = @webhookId;
                """, args, tx).ConfigureAwait(false);
            return 0;
        }, ct).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(long webhookId, int limit, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<DeliveryRow>(
            $"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE webhook_id = @webhookId ORDER BY id DESC LIMIT @limit", new { webhookId, limit })).ConfigureAwait(false))
            .Select(r => r.ToRecord()).ToList();

    public async ValueTask<IReadOnlyList<WebhookAttempt>> ListAttemptsAsync(long webhookId, int limit, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<AttemptRow>(
            $"SELECT {AttemptColumns} FROM webhook_attempts WHERE webhook_id = @webhookId ORDER BY id DESC LIMIT @limit", new { webhookId, limit })).ConfigureAwait(false))
            .Select(r => r.ToRecord()).ToList();

    public async ValueTask<WebhookDelivery?> GetDeliveryAsync(long webhookId, long deliveryId, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<DeliveryRow>(
            $"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE webhook_id = @webhookId AND id = @deliveryId", new { webhookId, deliveryId })).ConfigureAwait(false))?.ToRecord();

    // A named type, not `object`: Dapper.AOT generates the parameter binding for the type it sees at the call site.
    private static DeliveryArgs Args(WebhookDelivery d) => new()
    {
        WebhookId = d.WebhookId, Sequence = d.Sequence, EventId = d.EventId, Type = d.Type, ContentType = d.ContentType, Body = new SqliteBlob(d.Body),
        Next = Ms(d.NextAttemptAt), Created = Ms(d.CreatedAt),
    };

    private static string Kinds(IReadOnlyList<RegistryEventKind> kinds) => string.Join(",", kinds);

    private static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    private static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    internal sealed class DeliveryArgs
    {
        public long WebhookId { get; init; }
        public long Sequence { get; init; }
        public string EventId { get; init; } = "";
        public string Type { get; init; } = "";
        public string ContentType { get; init; } = "";
        public SqliteBlob Body { get; init; }
        public long Next { get; init; }
        public long Created { get; init; }
    }

    internal sealed class WebhookRow
    {
        public long Id { get; set; }
        public string Pattern { get; set; } = "";
        public string Url { get; set; } = "";
        public string Events { get; set; } = "";
        public string Format { get; set; } = "";
        public string Description { get; set; } = "";
        public string Secret { get; set; } = "";
        public long Enabled { get; set; }
        public string? DisabledReason { get; set; }
        public long ConsecutiveFailures { get; set; }
        public long? FailingSince { get; set; }
        public string CreatedBy { get; set; } = "";
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public WebhookRecord ToRecord() => new()
        {
            Id = Id, Pattern = NamespacePattern.Parse(Pattern), Url = new Uri(Url),
            // A kind a newer version stored and this one does not know is skipped, not a crash.
            Events = Events.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(k => Enum.TryParse<RegistryEventKind>(k, out var kind) ? kind : (RegistryEventKind?)null)
                .OfType<RegistryEventKind>().ToList(),
            Format = Enum.TryParse<WebhookFormat>(Format, out var f) ? f : WebhookFormat.CloudEvents, Description = Description, Secret = Secret,
            Enabled = Enabled != 0, DisabledReason = DisabledReason, ConsecutiveFailures = (int)ConsecutiveFailures,
            FailingSince = FailingSince is { } s ? At(s) : null, CreatedBy = CreatedBy, CreatedAt = At(CreatedAt), UpdatedAt = At(UpdatedAt),
        };
    }

    internal sealed class DeliveryRow
    {
        public long Id { get; set; }
        public long WebhookId { get; set; }
        public long Sequence { get; set; }
        public string EventId { get; set; } = "";
        public string Type { get; set; } = "";
        public string ContentType { get; set; } = "";
        public byte[] Body { get; set; } = [];
        public long Delivered { get; set; }
        public long Attempts { get; set; }
        public long NextAttemptAt { get; set; }
        public long CreatedAt { get; set; }
        public long? DeliveredAt { get; set; }
        public string? LastError { get; set; }

        public WebhookDelivery ToRecord() => new()
        {
            Id = Id, WebhookId = WebhookId, Sequence = Sequence, EventId = EventId, Type = Type, ContentType = ContentType, Body = Body,
            Delivered = Delivered != 0, Attempts = (int)Attempts, NextAttemptAt = At(NextAttemptAt), CreatedAt = At(CreatedAt),
            DeliveredAt = DeliveredAt is { } d ? At(d) : null, LastError = LastError,
        };
    }

    internal sealed class AttemptRow
    {
        public long Id { get; set; }
        public long WebhookId { get; set; }
        public long DeliveryId { get; set; }
        public long Sequence { get; set; }
        public string EventId { get; set; } = "";
        public long Attempt { get; set; }
        public long Time { get; set; }
        public string Outcome { get; set; } = "";
        public long LatencyMs { get; set; }
        public long? ResponseCode { get; set; }
        public string? Error { get; set; }

        public WebhookAttempt ToRecord() => new()
        {
            Id = Id, WebhookId = WebhookId, DeliveryId = DeliveryId, Sequence = Sequence, EventId = EventId, Attempt = (int)Attempt, Time = At(Time),
            Outcome = Outcome, LatencyMs = LatencyMs, ResponseCode = ResponseCode is { } r ? (int)r : null, Error = Error,
        };
    }
}
