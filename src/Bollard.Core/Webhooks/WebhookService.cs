using System.Globalization;
using Bollard.Core.Auth;
using Bollard.Core.Events;

namespace Bollard.Core.Webhooks;

/// <summary>
/// Management of webhooks with their authorization rules in one place: an admin manages every webhook; a user or robot
/// manages the webhooks whose namespace pattern lies within a namespace it holds the maintainer role on (every name the
/// webhook's pattern matches is matched by the binding's pattern: <see cref="Covers"/>); nobody else sees or changes
/// one. Registry-wide events (GC finished) go only to <c>**</c> webhooks, so only a maintainer of <c>**</c> or an admin
/// receives them. Every change is audited (<c>webhook.create</c>, <c>.update</c>, <c>.delete</c>, <c>.redeliver</c>, <c>.ping</c>).
/// </summary>
public sealed class WebhookService(
    IWebhookStore store, IEventStore events, AccessEvaluator access, AuditRecorder audit, WebhookDestinationPolicy policy,
    WebhookSignal signal, WebhookOptions options, TimeProvider time)
{
    public const int MaxDescription = 256;

    public async Task<(WebhookRecord Webhook, string Secret)> CreateAsync(RegistryCaller caller, string? url, string? pattern, IReadOnlyList<string>? eventNames,
        string? format, string? description, CancellationToken ct)
    {
        var ns = Pattern(pattern);
        await RequireManageAsync(caller, ns, ct).ConfigureAwait(false);
        var destination = await UrlAsync(url, ct).ConfigureAwait(false);
        if ((await store.ListAsync(ct).ConfigureAwait(false)).Count >= options.MaxWebhooks)
            throw new ManagementException(ManagementError.Conflict, $"there are already {options.MaxWebhooks} webhooks (Webhooks:MaxWebhooks)");
        string secret = Secrets.New(WebhookSignature.SecretPrefix);
        var now = time.GetUtcNow();
        var webhook = await store.CreateAsync(new WebhookRecord
        {
            Pattern = ns, Url = destination, Events = Kinds(eventNames) ?? WebhookEventNames.Defaults, Format = Format(format) ?? WebhookFormat.CloudEvents,
            Description = Description(description) ?? "", Secret = secret, CreatedBy = caller.Principal.Name, CreatedAt = now, UpdatedAt = now,
        }, await events.HeadAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        Changed(caller, "webhook.create", webhook, $"{ns} -> {Origin(destination)} ({string.Join(",", webhook.Events.Select(WebhookEventNames.Of))})");
        return (webhook, secret);
    }

    /// <summary>The webhooks the caller may manage.</summary>
    public async Task<IReadOnlyList<WebhookRecord>> ListAsync(RegistryCaller caller, CancellationToken ct)
    {
        RequireAuthenticated(caller);
        var all = await store.ListAsync(ct).ConfigureAwait(false);
        if (caller.Principal.IsAdmin || caller.Unrestricted) return all;
        var maintained = await MaintainedAsync(caller, ct).ConfigureAwait(false);
        return all.Where(w => maintained.Any(m => Covers(m, w.Pattern))).ToList();
    }

    public async Task<WebhookRecord> GetAsync(RegistryCaller caller, long id, CancellationToken ct)
    {
        var webhook = await store.GetAsync(id, ct).ConfigureAwait(false) ?? throw NotFound(id);
        await RequireManageAsync(caller, webhook.Pattern, ct, id).ConfigureAwait(false);
        return webhook;
    }

    /// <summary>Changes what is given (null: unchanged). <paramref name="enabled"/> true re-enables a disabled webhook and clears its failures.</summary>
    public async Task<WebhookRecord> UpdateAsync(RegistryCaller caller, long id, string? url, string? pattern, IReadOnlyList<string>? eventNames,
        string? format, string? description, bool? enabled, CancellationToken ct)
    {
        var webhook = await GetAsync(caller, id, ct).ConfigureAwait(false);
        var changed = webhook with { UpdatedAt = time.GetUtcNow() };
        if (pattern is not null)
        {
            changed = changed with { Pattern = Pattern(pattern) };
            await RequireManageAsync(caller, changed.Pattern, ct).ConfigureAwait(false);
        }
        if (url is not null) changed = changed with { Url = await UrlAsync(url, ct).ConfigureAwait(false) };
        if (Kinds(eventNames) is { } kinds) changed = changed with { Events = kinds };
        if (Format(format) is { } f) changed = changed with { Format = f };
        if (Description(description) is { } d) changed = changed with { Description = d };
        if (enabled is true && !webhook.Enabled) changed = changed with { Enabled = true, DisabledReason = null, ConsecutiveFailures = 0, FailingSince = null };
        if (enabled is false && webhook.Enabled) changed = changed with { Enabled = false, DisabledReason = $"disabled by {Who(caller)} at {time.GetUtcNow():yyyy-MM-dd'T'HH:mm:ss'Z'}" };
        if (!await store.UpdateAsync(changed, ct).ConfigureAwait(false)) throw NotFound(id);
        signal.Notify();
        string what = string.Join(", ", new[]
        {
            pattern is not null ? $"namespace {changed.Pattern}" : null, url is not null ? $"url {Origin(changed.Url)}" : null,
            eventNames is not null ? $"events {string.Join(",", changed.Events.Select(WebhookEventNames.Of))}" : null,
            format is not null ? $"format {changed.Format.ToString().ToLowerInvariant()}" : null, description is not null ? "description" : null,
            enabled is not null && enabled != webhook.Enabled ? (enabled.Value ? "enabled" : "disabled") : null,
        }.OfType<string>());
        Changed(caller, "webhook.update", changed, what.Length > 0 ? what : "nothing changed");
        return changed;
    }

    public async Task DeleteAsync(RegistryCaller caller, long id, CancellationToken ct)
    {
        var webhook = await GetAsync(caller, id, ct).ConfigureAwait(false);
        if (!await store.DeleteAsync(id, ct).ConfigureAwait(false)) throw NotFound(id);
        signal.Notify();
        Changed(caller, "webhook.delete", webhook, $"{webhook.Pattern} -> {Origin(webhook.Url)}");
    }

    public async Task<(IReadOnlyList<WebhookDelivery> Deliveries, IReadOnlyList<WebhookAttempt> Attempts)> DeliveriesAsync(
        RegistryCaller caller, long id, int limit, CancellationToken ct)
    {
        await GetAsync(caller, id, ct).ConfigureAwait(false);
        limit = Math.Clamp(limit, 1, options.LogSize);
        return (await store.ListDeliveriesAsync(id, limit, ct).ConfigureAwait(false), await store.ListAttemptsAsync(id, limit, ct).ConfigureAwait(false));
    }

    /// <summary>Queues a kept delivery again, with the same event id and body, after everything already queued.</summary>
    /// <returns>The new delivery's id.</returns>
    public async Task<long> RedeliverAsync(RegistryCaller caller, long id, long deliveryId, CancellationToken ct)
    {
        var webhook = await GetAsync(caller, id, ct).ConfigureAwait(false);
        var delivery = await store.GetDeliveryAsync(id, deliveryId, ct).ConfigureAwait(false)
            ?? throw new ManagementException(ManagementError.NotFound, $"webhook {id} has no delivery {deliveryId} (only the newest {options.LogSize} are kept)");
        var now = time.GetUtcNow();
        long queued = await store.EnqueueAsync(delivery with { Id = 0, Delivered = false, Attempts = 0, NextAttemptAt = now, CreatedAt = now, DeliveredAt = null, LastError = null }, ct)
            .ConfigureAwait(false);
        signal.Notify();
        Changed(caller, "webhook.redeliver", webhook, $"delivery {deliveryId} ({delivery.EventId}) queued again as {queued}");
        return queued;
    }

    /// <summary>Queues a test request (<see cref="WebhookEventNames.PingType"/>) after everything already queued.</summary>
    public async Task<long> PingAsync(RegistryCaller caller, long id, CancellationToken ct)
    {
        var webhook = await GetAsync(caller, id, ct).ConfigureAwait(false);
        long queued = await store.EnqueueAsync(WebhookPayloads.Ping(webhook, options.Source, caller.Principal.Name, time.GetUtcNow()), ct).ConfigureAwait(false);
        signal.Notify();
        Changed(caller, "webhook.ping", webhook, $"delivery {queued}");
        return queued;
    }

    /// <summary>
    /// Does every repository name <paramref name="inner"/> matches also match <paramref name="outer"/>? Decided on the
    /// patterns (not on names that exist), conservatively: a wildcard of <paramref name="inner"/> must meet the same or a
    /// wider wildcard of <paramref name="outer"/>.
    /// </summary>
    public static bool Covers(NamespacePattern outer, NamespacePattern inner) =>
        Covers(outer.Value.Split('/'), 0, inner.Value.Split('/'), 0, []);

    private static bool Covers(string[] o, int oi, string[] n, int ni, HashSet<(int, int)> failed)
    {
        if (failed.Contains((oi, ni))) return false;
        bool result;
        if (oi == o.Length) result = ni == n.Length;
        else if (o[oi] == "**")
        {
            result = false;
            for (int skip = ni; skip <= n.Length && !result; skip++) result = Covers(o, oi + 1, n, skip, failed);
        }
        else if (ni == n.Length || n[ni] == "**") result = false;
        else result = ComponentCovers(o[oi], n[ni]) && Covers(o, oi + 1, n, ni + 1, failed);
        if (!result) failed.Add((oi, ni));
        return result;
    }

    private static bool ComponentCovers(string outer, string inner)
    {
        if (outer == inner || outer == "*") return true;
        if (inner.Contains('*')) return false; // conservative: inner wildcards only under an equal or a lone '*'
        return NamespacePattern.Parse(outer).Matches(inner);
    }

    private async Task RequireManageAsync(RegistryCaller caller, NamespacePattern pattern, CancellationToken ct, long? id = null)
    {
        RequireAuthenticated(caller);
        if (caller.Principal.IsAdmin || caller.Unrestricted) return;
        var maintained = await MaintainedAsync(caller, ct).ConfigureAwait(false);
        if (maintained.Any(m => Covers(m, pattern))) return;
        throw new ManagementException(ManagementError.Forbidden, id is { } i
            ? $"you may not manage webhook {i}: that needs the maintainer role on a namespace covering its pattern, or admin"
            : $"a webhook for '{pattern}' needs the maintainer role on a namespace covering '{pattern}', or admin");
    }

    private async Task<List<NamespacePattern>> MaintainedAsync(RegistryCaller caller, CancellationToken ct) =>
        (await access.BindingsOfAsync(caller.Principal, ct).ConfigureAwait(false))
            .Where(b => b.Role >= Role.Maintainer).Select(b => NamespacePattern.Parse(b.Pattern)).ToList();

    private static void RequireAuthenticated(RegistryCaller caller)
    {
        if (!caller.Principal.IsAuthenticated && !caller.Unrestricted)
            throw new ManagementException(ManagementError.Unauthorized, "authentication required");
    }

    private static NamespacePattern Pattern(string? value) =>
        NamespacePattern.TryParse(value, out var p, out var problem) ? p : throw new ManagementException(ManagementError.BadRequest, $"namespace: {problem}");

    private async Task<Uri> UrlAsync(string? value, CancellationToken ct)
    {
        var (url, problem) = await policy.CheckUrlAsync(value, ct).ConfigureAwait(false);
        return url ?? throw new ManagementException(ManagementError.BadRequest, $"url: {problem}");
    }

    private static IReadOnlyList<RegistryEventKind>? Kinds(IReadOnlyList<string>? names)
    {
        if (names is null) return null;
        if (names.Count is 0 or > 64) throw new ManagementException(ManagementError.BadRequest, $"events: name 1 to 64 of: {WebhookEventNames.All}");
        var kinds = new List<RegistryEventKind>();
        foreach (string name in names)
        {
            if (!WebhookEventNames.TryParse(name, out var kind))
                throw new ManagementException(ManagementError.BadRequest, $"events: '{(name.Length > 64 ? name[..64] + "..." : name)}' is not one of {WebhookEventNames.All}");
            if (!kinds.Contains(kind)) kinds.Add(kind);
        }
        return kinds;
    }

    private static WebhookFormat? Format(string? value) => value switch
    {
        null => null,
        _ when string.Equals(value, "cloudevents", StringComparison.OrdinalIgnoreCase) => WebhookFormat.CloudEvents,
        _ when string.Equals(value, "distribution", StringComparison.OrdinalIgnoreCase) => WebhookFormat.Distribution,
        _ => throw new ManagementException(ManagementError.BadRequest, "format: 'cloudevents' (the default) or 'distribution'"),
    };

    private static string? Description(string? value)
    {
        if (value is null) return null;
        if (value.Length > MaxDescription || value.Any(char.IsControl))
            throw new ManagementException(ManagementError.BadRequest, $"description: at most {MaxDescription} characters, no control characters");
        return value;
    }

    private static ManagementException NotFound(long id) => new(ManagementError.NotFound, $"no webhook {id}");

    /// <summary>Scheme, host and port only: a URL path may hold a receiver's token, which the audit log must not keep.</summary>
    public static string Origin(Uri url) => url.GetLeftPart(UriPartial.Authority);

    private static string Who(RegistryCaller caller) => caller.Principal.Name.Length > 0 ? caller.Principal.Name : "an unrestricted caller";

    private void Changed(RegistryCaller caller, string action, WebhookRecord webhook, string detail) =>
        audit.Record(caller.Principal.Name, caller.ClientAddress, action, "success", reference: webhook.Id.ToString(CultureInfo.InvariantCulture), detail: detail);
}
