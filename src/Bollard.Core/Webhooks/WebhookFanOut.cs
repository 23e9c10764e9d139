using Bollard.Core.Events;

namespace Bollard.Core.Webhooks;

/// <summary>
/// The registry event subscriber <c>webhooks</c>: renders each event once for every enabled webhook that wants it
/// (<see cref="WebhookRecord.Wants"/>: its kinds, its namespace pattern; registry-wide events only for <c>**</c>) and
/// queues the deliveries durably (<see cref="IWebhookStore.FanOutAsync"/>, idempotent keyed by the event sequence, so a
/// batch the dispatcher delivers again after a crash queues nothing twice). Sending is the
/// <see cref="WebhookDeliveryRunner"/>'s, so a slow receiver never holds up the outbox. A disabled webhook gets nothing
/// queued while it is disabled.
/// </summary>
public sealed class WebhookFanOut(IWebhookStore store, WebhookSignal signal, WebhookOptions options, TimeProvider time) : IRegistryEventSubscriber
{
    public string Name => "webhooks";

    public async Task HandleAsync(IReadOnlyList<RegistryEvent> events, CancellationToken ct)
    {
        if (events.Count == 0) return;
        var webhooks = (await store.ListAsync(ct).ConfigureAwait(false)).Where(w => w.Enabled).ToList();
        if (webhooks.Count == 0) return; // the dispatcher's cursor moves on; a webhook created later starts after the head
        var now = time.GetUtcNow();
        var deliveries = new List<WebhookDelivery>();
        foreach (var e in events)
            foreach (var webhook in webhooks)
                if (webhook.Wants(e))
                    deliveries.Add(WebhookPayloads.Render(e, webhook, options.Source, now));
        await store.FanOutAsync(deliveries, events[^1].Sequence, ct).ConfigureAwait(false);
        if (deliveries.Count > 0) signal.Notify();
    }
}
