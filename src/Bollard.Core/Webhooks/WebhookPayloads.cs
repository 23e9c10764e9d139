using System.Globalization;
using System.Text.Json;
using Bollard.Core.Events;

namespace Bollard.Core.Webhooks;

/// <summary>
/// Renders an event as a webhook request body, once, at fan-out (so every attempt and every redelivery sends the same
/// bytes with the same id). The id of an event is <c>bollard-SEQUENCE</c>: stable for the event, shared by every webhook
/// that receives it. Field layouts are in docs/webhooks.md.
/// </summary>
public static class WebhookPayloads
{
    public const string CloudEventsContentType = "application/cloudevents+json";
    public const string DistributionContentType = "application/vnd.docker.distribution.events.v1+json";

    public static string EventId(long sequence) => "bollard-" + sequence.ToString(CultureInfo.InvariantCulture);

    public static WebhookDelivery Render(RegistryEvent e, WebhookRecord webhook, string source, DateTimeOffset now)
    {
        string id = EventId(e.Sequence);
        string type = WebhookEventNames.TypeOf(e.Kind);
        byte[] body = webhook.Format == WebhookFormat.Distribution ? Distribution(e, id, source) : CloudEvent(e, id, type, source);
        return new WebhookDelivery
        {
            WebhookId = webhook.Id, Sequence = e.Sequence, EventId = id, Type = type, Body = body, NextAttemptAt = now, CreatedAt = now,
            ContentType = webhook.Format == WebhookFormat.Distribution ? DistributionContentType : CloudEventsContentType,
        };
    }

    /// <summary>A test request: a CloudEvent of type <see cref="WebhookEventNames.PingType"/> (or an envelope with action <c>ping</c>).</summary>
    public static WebhookDelivery Ping(WebhookRecord webhook, string source, string principal, DateTimeOffset now)
    {
        var e = new RegistryEvent { Kind = RegistryEventKind.RepositoryCreated, Time = now, Principal = principal, Detail = "ping" };
        string id = "ping-" + Guid.NewGuid().ToString("N");
        byte[] body = webhook.Format == WebhookFormat.Distribution
            ? Distribution(e, id, source, action: "ping")
            : CloudEvent(e, id, WebhookEventNames.PingType, source, ping: true);
        return new WebhookDelivery
        {
            WebhookId = webhook.Id, Sequence = 0, EventId = id, Type = WebhookEventNames.PingType, Body = body, NextAttemptAt = now, CreatedAt = now,
            ContentType = webhook.Format == WebhookFormat.Distribution ? DistributionContentType : CloudEventsContentType,
        };
    }

    /// <summary>What the event is about: <c>repo:tag</c>, <c>repo@digest</c>, <c>repo</c>, or null for a registry-wide event.</summary>
    public static string? Subject(RegistryEvent e) => e.Repository is not { } repository
        ? null
        : e.Tag is { } tag ? $"{repository}:{tag}"
        : e.Digest is { } digest ? $"{repository}@{digest}"
        : repository.Value;

    private static byte[] CloudEvent(RegistryEvent e, string id, string type, string source, bool ping = false)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("specversion", "1.0");
            w.WriteString("id", id);
            w.WriteString("source", source);
            w.WriteString("type", type);
            w.WriteString("time", e.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            if (Subject(e) is { } subject) w.WriteString("subject", subject);
            w.WriteString("datacontenttype", "application/json");
            w.WriteStartObject("data");
            if (!ping) w.WriteNumber("sequence", e.Sequence);
            Optional(w, "repository", e.Repository?.Value);
            Optional(w, "digest", e.Digest?.ToString());
            Optional(w, "tag", e.Tag);
            Optional(w, "previousDigest", e.PreviousDigest?.ToString());
            Optional(w, "mediaType", e.MediaType);
            if (e.Size is { } size) w.WriteNumber("size", size);
            w.WriteString("actor", e.Principal);
            Optional(w, "detail", e.Detail);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Distribution's notification format (distribution <c>notifications/event.go</c>): actions <c>push</c>,
    /// <c>mount</c> and <c>delete</c> as Distribution sends them; Bollard's other kinds with their webhook name as action.
    /// </summary>
    private static byte[] Distribution(RegistryEvent e, string id, string source, string? action = null)
    {
        action ??= e.Kind switch
        {
            RegistryEventKind.ManifestPushed => "push",
            RegistryEventKind.BlobLinked => e.Detail == "mount" ? "mount" : "push",
            RegistryEventKind.ManifestDeleted or RegistryEventKind.TagDeleted or RegistryEventKind.BlobDeleted or RegistryEventKind.RepositoryDeleted => "delete",
            _ => WebhookEventNames.Of(e.Kind),
        };
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("events");
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("timestamp", e.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            w.WriteString("action", action);
            w.WriteStartObject("target");
            Optional(w, "mediaType", e.MediaType);
            if (e.Size is { } size) { w.WriteNumber("size", size); w.WriteNumber("length", size); }
            Optional(w, "digest", e.Digest?.ToString());
            Optional(w, "repository", e.Repository?.Value);
            Optional(w, "tag", e.Tag);
            w.WriteEndObject();
            w.WriteStartObject("request");
            Optional(w, "addr", e.ClientAddress.Length > 0 ? e.ClientAddress : null);
            w.WriteEndObject();
            w.WriteStartObject("actor");
            Optional(w, "name", e.Principal.Length > 0 ? e.Principal : null);
            w.WriteEndObject();
            w.WriteStartObject("source");
            w.WriteString("addr", source);
            w.WriteEndObject();
            Optional(w, "detail", e.Detail);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void Optional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null) w.WriteString(name, value);
    }
}
