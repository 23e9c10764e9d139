using Bollard.Core.Auth;
using Bollard.Core.Events;

namespace Bollard.Core.Webhooks;

/// <summary>A stored webhook. <see cref="Secret"/> never leaves the server after the create response.</summary>
public sealed record WebhookRecord
{
    public long Id { get; init; }
    public required NamespacePattern Pattern { get; init; }
    public required Uri Url { get; init; }
    public required IReadOnlyList<RegistryEventKind> Events { get; init; }
    public WebhookFormat Format { get; init; }
    public string Description { get; init; } = "";
    public required string Secret { get; init; }
    public bool Enabled { get; init; } = true;

    /// <summary>Why the webhook was disabled (automatically, or by whom); null while enabled.</summary>
    public string? DisabledReason { get; init; }

    public int ConsecutiveFailures { get; init; }

    /// <summary>When the current run of failures began; null after a success.</summary>
    public DateTimeOffset? FailingSince { get; init; }

    public string CreatedBy { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Does an event go to this webhook? Registry-wide events (no repository) go only to <c>**</c> webhooks.</summary>
    public bool Wants(RegistryEvent e) =>
        Enabled && Events.Contains(e.Kind) && (e.Repository is { } repository ? Pattern.Matches(repository.Value) : Pattern.Value == "**");
}
