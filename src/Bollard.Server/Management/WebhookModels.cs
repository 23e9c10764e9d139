using System.Text.Json;
using System.Text.Json.Serialization;
using Bollard.Core.Webhooks;

namespace Bollard.Server.Management;

public sealed record CreateWebhookRequest(string? Url, string? Namespace, IReadOnlyList<string>? Events, string? Format, string? Description);

/// <summary>Every field is optional: what is given changes. <c>enabled: true</c> re-enables a disabled webhook.</summary>
public sealed record UpdateWebhookRequest(string? Url, string? Namespace, IReadOnlyList<string>? Events, string? Format, string? Description, bool? Enabled);

public sealed record WebhookView(
    long Id, string Namespace, string Url, IReadOnlyList<string> Events, string Format, string Description, bool Enabled, string? DisabledReason,
    int ConsecutiveFailures, DateTimeOffset? FailingSince, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static WebhookView Of(WebhookRecord w) => new(
        w.Id, w.Pattern.Value, w.Url.ToString(), w.Events.Select(WebhookEventNames.Of).ToList(), w.Format.ToString().ToLowerInvariant(), w.Description,
        w.Enabled, w.DisabledReason, w.ConsecutiveFailures, w.FailingSince, w.CreatedBy, w.CreatedAt, w.UpdatedAt);
}

/// <summary>The only response that ever carries a webhook's signing secret: shown once.</summary>
public sealed record WebhookCreated(WebhookView Webhook, string Secret);

public sealed record WebhookDeliveryView(
    long Id, long Sequence, string EventId, string Type, string State, int Attempts, DateTimeOffset? NextAttemptAt, DateTimeOffset CreatedAt,
    DateTimeOffset? DeliveredAt, string? LastError)
{
    public static WebhookDeliveryView Of(WebhookDelivery d) => new(
        d.Id, d.Sequence, d.EventId, d.Type, d.Delivered ? "delivered" : "queued", d.Attempts, d.Delivered ? null : d.NextAttemptAt, d.CreatedAt,
        d.DeliveredAt, d.LastError);
}

public sealed record WebhookAttemptView(
    long Id, long DeliveryId, long Sequence, string EventId, int Attempt, DateTimeOffset Time, string Outcome, long LatencyMs, int? ResponseCode, string? Error)
{
    public static WebhookAttemptView Of(WebhookAttempt a) =>
        new(a.Id, a.DeliveryId, a.Sequence, a.EventId, a.Attempt, a.Time, a.Outcome, a.LatencyMs, a.ResponseCode, a.Error);
}

/// <summary>A webhook's newest deliveries (queued and kept) and its delivery log (one entry per attempt), newest first.</summary>
public sealed record WebhookDeliveries(IReadOnlyList<WebhookDeliveryView> Deliveries, IReadOnlyList<WebhookAttemptView> Attempts);

public sealed record WebhookQueued(long DeliveryId);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateWebhookRequest))]
[JsonSerializable(typeof(UpdateWebhookRequest))]
[JsonSerializable(typeof(WebhookView))]
[JsonSerializable(typeof(List<WebhookView>))]
[JsonSerializable(typeof(WebhookCreated))]
[JsonSerializable(typeof(WebhookDeliveries))]
[JsonSerializable(typeof(WebhookQueued))]
public sealed partial class WebhookJson : JsonSerializerContext;
