namespace Bollard.Core.Webhooks;

/// <summary>A webhook connection refused by <see cref="WebhookDestinationPolicy"/> at connect time.</summary>
public sealed class WebhookDestinationRefusedException(string message) : Exception(message);
