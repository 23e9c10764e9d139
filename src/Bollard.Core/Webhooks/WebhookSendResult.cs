namespace Bollard.Core.Webhooks;

/// <summary>What one attempt to send a delivery came to.</summary>
/// <param name="Outcome"><c>delivered</c>, <c>failed</c> or <c>refused</c> (see <see cref="WebhookAttempt.Outcome"/>).</param>
public sealed record WebhookSendResult(string Outcome, int? ResponseCode, string? Error, long LatencyMs)
{
    public bool Delivered => Outcome == WebhookSender.Delivered;
}
