using Bollard.Core.Events;

namespace Bollard.Core.Webhooks;

/// <summary>Wakes the <see cref="WebhookDeliveryRunner"/> when deliveries were queued or a webhook changed in this process.</summary>
public sealed class WebhookSignal : WakeSignal;
