using System.Collections.Concurrent;
using Bollard.Core.Auth;
using Bollard.Core.Health;

namespace Bollard.Core.Webhooks;

/// <summary>
/// Sends the persisted delivery queues: one sender loop per webhook with anything queued, one request in flight per
/// webhook, in queue order (the head is retried until it succeeds, so a later event never overtakes an earlier one), so a
/// slow or dead receiver delays only its own webhook. A failed attempt is retried after
/// <see cref="RetryBackoff.Exponential"/> (<see cref="WebhookOptions.RetryBase"/> doubling up to
/// <see cref="WebhookOptions.RetryMax"/>) with jitter (50-100 % of it, so receivers coming back are not hit by every
/// sender at once). After <see cref="WebhookOptions.DisableAfterFailures"/> consecutive failures spanning at least
/// <see cref="WebhookOptions.DisableAfter"/> the webhook is disabled with the reason (audited as <c>webhook.disable</c>);
/// its queue is kept and resumes when it is enabled again. Delivery is at least once: a crash after the receiver
/// answered but before the attempt was stored sends the same delivery (same id, same body) again.
/// Store failures are reported to <see cref="BackgroundHealth"/> as <c>webhooks</c> and retried; they never end
/// <see cref="RunAsync"/>. One runner per process; with several nodes sharing a database each would send (see docs/webhooks.md).
/// </summary>
public sealed class WebhookDeliveryRunner(
    IWebhookStore store, WebhookSender sender, WebhookSignal signal, BackgroundHealth health, AuditRecorder audit, WebhookOptions options, TimeProvider time)
{
    public const string Component = "webhooks";

    private readonly ConcurrentDictionary<long, Task> _running = new();

    /// <summary>Told of a store failure (for the log); must not throw.</summary>
    public Action<Exception>? Failed { get; set; }

    /// <summary>Told of each failed attempt (webhook id, delivery id, error); must not throw.</summary>
    public Action<long, long, string>? AttemptFailed { get; set; }

    /// <summary>Runs until <paramref name="ct"/> is cancelled; waits for the sender loops before it returns.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        int failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var wake = signal.Next;
            TimeSpan wait = options.PollInterval;
            try
            {
                foreach (long id in await store.PendingAsync(ct).ConfigureAwait(false))
                    if (!_running.TryGetValue(id, out var loop) || loop.IsCompleted)
                        _running[id] = Task.Run(() => SendLoopAsync(id, ct), CancellationToken.None);
                failures = 0;
                health.Healthy(Component);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                failures++;
                health.Failing(Component, $"{e.GetType().Name}: {e.Message}");
                Failed?.Invoke(e);
                wait = RetryBackoff.Exponential(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), failures);
            }
            try
            {
                await Task.WhenAny(wake, Task.Delay(wait, time, ct)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await Task.WhenAll(_running.Values).ConfigureAwait(false);
    }

    private async Task SendLoopAsync(long webhookId, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var wake = signal.Next;
                var webhook = await store.GetAsync(webhookId, ct).ConfigureAwait(false);
                if (webhook is not { Enabled: true }) return;
                var head = await store.HeadAsync(webhookId, ct).ConfigureAwait(false);
                if (head is null) return;
                var due = head.NextAttemptAt - time.GetUtcNow();
                if (due > TimeSpan.Zero)
                {
                    // Woken early by a change (disabled, deleted, redelivered); looked at again either way.
                    await Task.WhenAny(wake, Task.Delay(due, time, ct)).ConfigureAwait(false);
                    continue;
                }
                await AttemptAsync(webhook, head, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The store failed; the next pass of RunAsync starts this webhook's loop again.
            health.Failing(Component, $"{e.GetType().Name}: {e.Message}");
            Failed?.Invoke(e);
        }
        finally
        {
            _running.TryRemove(webhookId, out _);
        }
    }

    private async Task AttemptAsync(WebhookRecord webhook, WebhookDelivery head, CancellationToken ct)
    {
        int attempt = head.Attempts + 1;
        var result = await sender.SendAsync(webhook, head, attempt, ct).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var entry = new WebhookAttempt
        {
            WebhookId = webhook.Id, DeliveryId = head.Id, Sequence = head.Sequence, EventId = head.EventId, Attempt = attempt, Time = now,
            Outcome = result.Outcome, LatencyMs = result.LatencyMs, ResponseCode = result.ResponseCode, Error = result.Error,
        };
        if (result.Delivered)
        {
            // Not cancellable: the receiver has it; recording that is what keeps a graceful stop from sending it again.
            await store.RecordAttemptAsync(entry, null, 0, null, null, options.LogSize, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        int failures = webhook.ConsecutiveFailures + 1;
        var since = webhook.FailingSince ?? now;
        string? disable = failures >= options.DisableAfterFailures && now - since >= options.DisableAfter
            ? $"disabled after {failures} consecutive failed attempts since {since:yyyy-MM-dd'T'HH:mm:ss'Z'}; last: {result.Error}"
            : null;
        var delay = RetryBackoff.Exponential(options.RetryBase, options.RetryMax, attempt);
        delay = TimeSpan.FromTicks((long)(delay.Ticks * (0.5 + Random.Shared.NextDouble() / 2)));
        await store.RecordAttemptAsync(entry, now + delay, failures, since, disable, options.LogSize, CancellationToken.None).ConfigureAwait(false);
        AttemptFailed?.Invoke(webhook.Id, head.Id, result.Error ?? result.Outcome);
        if (disable is not null)
            audit.Record("", "", "webhook.disable", "failure", reference: webhook.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), detail: disable);
    }
}
