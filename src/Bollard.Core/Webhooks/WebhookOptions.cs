using System.ComponentModel.DataAnnotations;

namespace Bollard.Core.Webhooks;

/// <summary>Webhook destinations and delivery. Bound from the <c>Webhooks</c> configuration section (docs/configuration.md).</summary>
public sealed record WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>
    /// Host names a webhook may be sent to: <c>hooks.example.com</c>, <c>*.example.com</c> (any name below it), an IP
    /// address literal, or <c>*</c> (any name). Empty (the default): no destination is allowed until an admin lists one.
    /// A name's resolved addresses are checked again at connect time (<see cref="WebhookDestinationPolicy"/>).
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>
    /// Address ranges (CIDR, e.g. <c>10.1.0.0/16</c>, <c>127.0.0.1/32</c>) a webhook may connect to. An address in one of
    /// them is allowed whatever its name; this is also the only way to allow a loopback, link-local or cloud metadata address.
    /// </summary>
    public IReadOnlyList<string> AllowedNetworks { get; init; } = [];

    /// <summary>The CloudEvents <c>source</c> of every event (a URI reference; e.g. the registry's public URL).</summary>
    [Required, StringLength(512, MinimumLength = 1)]
    public string Source { get; init; } = "/bollard";

    /// <summary>Time for one delivery request: connect, send, and the response headers plus its first bytes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Wait before retrying a failed delivery; doubles per failed attempt up to <see cref="RetryMax"/>, each with jitter (50-100 %).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryBase { get; init; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryMax { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>A webhook is disabled after this many consecutive failed attempts ...</summary>
    [Range(1, 100_000)]
    public int DisableAfterFailures { get; init; } = 20;

    /// <summary>... once it has been failing for at least this long (so a short outage never disables it).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan DisableAfter { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Delivery log entries (attempts) and completed deliveries kept per webhook; older ones are deleted.</summary>
    [Range(1, 10_000)]
    public int LogSize { get; init; } = 100;

    /// <summary>How often the queue is looked at when nothing woke the sender (new events and API changes wake it at once).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most webhooks that may exist (each has its own sender).</summary>
    [Range(1, 100_000)]
    public int MaxWebhooks { get; init; } = 1000;
}
