using Bollard.Core.Health;

namespace Bollard.Core.Events;

/// <summary>
/// Delivers the outbox to every <see cref="IRegistryEventSubscriber"/>: in sequence order, at least once, each
/// subscriber from its own persisted cursor in its own loop, so one that fails or hangs delays only itself.
/// A failure is retried with exponential backoff (<see cref="EventOptions"/>) and reported to
/// <see cref="BackgroundHealth"/> as <c>events:&lt;name&gt;</c> (so <c>/readyz</c> shows it) until the subscriber
/// succeeds again; it never ends <see cref="RunAsync"/>. Run by one hosted service per process. With several
/// nodes, each runs its own dispatcher over the shared outbox: a subscriber whose effect must happen once per
/// cluster claims its work through a job lease instead (see <c>Jobs/IJobStore</c>).
/// </summary>
public sealed class RegistryEventDispatcher(
    IEventStore events, IEnumerable<IRegistryEventSubscriber> subscribers, RegistryEventSignal signal, BackgroundHealth health, EventOptions options, TimeProvider time)
{
    private readonly IRegistryEventSubscriber[] _subscribers = subscribers.ToArray();

    /// <summary>The name <see cref="BackgroundHealth"/> shows for a subscriber.</summary>
    public static string Component(IRegistryEventSubscriber subscriber) => "events:" + subscriber.Name;

    /// <summary>Runs until <paramref name="ct"/> is cancelled.</summary>
    /// <param name="onFailure">Told of each failed delivery (for the log); must not throw.</param>
    public Task RunAsync(Action<string, Exception> onFailure, CancellationToken ct) =>
        options.Deliver
            ? Task.WhenAll(_subscribers.Select(s => Task.Run(() => DeliverAsync(s, onFailure, ct), CancellationToken.None))
                .Append(Task.Run(() => PruneLoopAsync(onFailure, ct), CancellationToken.None)))
            : Task.CompletedTask;

    /// <summary>The <see cref="BackgroundHealth"/> name of the outbox pruning.</summary>
    public const string PruneComponent = "events:prune";

    /// <summary>
    /// Deletes events that every subscriber has acknowledged and that are older than <see cref="EventOptions.Retention"/>,
    /// in bounded batches. With no subscriber nothing is pruned (nothing was delivered).
    /// </summary>
    /// <returns>How many events were deleted.</returns>
    public async Task<int> PruneOnceAsync(CancellationToken ct)
    {
        if (_subscribers.Length == 0) return 0;
        long deliveredToAll = long.MaxValue;
        foreach (var subscriber in _subscribers)
            deliveredToAll = Math.Min(deliveredToAll, await events.GetCursorAsync(subscriber.Name, ct).ConfigureAwait(false));
        var before = time.GetUtcNow() - options.Retention;
        const int Batch = 10_000;
        int total = 0, deleted;
        do
        {
            deleted = await events.PruneAsync(deliveredToAll, before, Batch, ct).ConfigureAwait(false);
            total += deleted;
        }
        while (deleted == Batch && !ct.IsCancellationRequested);
        return total;
    }

    private async Task PruneLoopAsync(Action<string, Exception> onFailure, CancellationToken ct)
    {
        while (await DelayAsync(options.PruneInterval, ct).ConfigureAwait(false))
        {
            try
            {
                await PruneOnceAsync(ct).ConfigureAwait(false);
                health.Healthy(PruneComponent);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                health.Failing(PruneComponent, $"{e.GetType().Name}: {e.Message}");
                onFailure("prune", e);
            }
        }
    }

    private async Task DeliverAsync(IRegistryEventSubscriber subscriber, Action<string, Exception> onFailure, CancellationToken ct)
    {
        string component = Component(subscriber);
        long? cursor = null;
        int failures = 0;
        while (!ct.IsCancellationRequested)
        {
            // Taken before reading, so a commit that lands while this batch is read wakes the wait below.
            var wake = signal.Next;
            int delivered;
            try
            {
                cursor ??= await events.GetCursorAsync(subscriber.Name, ct).ConfigureAwait(false);
                var batch = await events.ReadAsync(cursor.Value, options.BatchSize, ct).ConfigureAwait(false);
                delivered = batch.Count;
                if (batch.Count > 0)
                {
                    await subscriber.HandleAsync(batch, ct).ConfigureAwait(false);
                    // Not cancellable: a stop that arrives while the batch is handled must still record that it was, or
                    // the next start delivers it again (a duplicate for every graceful restart, not only after a crash).
                    await events.SetCursorAsync(subscriber.Name, batch[^1].Sequence, CancellationToken.None).ConfigureAwait(false);
                    cursor = batch[^1].Sequence;
                }
                failures = 0;
                health.Healthy(component);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                cursor = null; // start again from what was acknowledged durably
                health.Failing(component, $"{e.GetType().Name}: {e.Message}");
                onFailure(subscriber.Name, e);
                if (!await DelayAsync(Backoff(failures), ct).ConfigureAwait(false)) return;
                continue;
            }
            if (delivered == options.BatchSize) continue; // more may be waiting
            await Task.WhenAny(wake, Task.Delay(options.PollInterval, time, ct)).ConfigureAwait(false);
        }
    }

    private TimeSpan Backoff(int failures) => RetryBackoff.Exponential(options.RetryBase, options.RetryMax, failures);

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, time, ct).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
