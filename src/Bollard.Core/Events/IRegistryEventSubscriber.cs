namespace Bollard.Core.Events;

/// <summary>
/// Receives every committed registry event, in sequence order, at least once (after a crash or a failure, the
/// events since the last saved cursor are delivered again: make handling idempotent, e.g. keyed by
/// <see cref="RegistryEvent.Sequence"/>). Register with <c>services.AddSingleton&lt;IRegistryEventSubscriber, X&gt;()</c>;
/// the <see cref="RegistryEventDispatcher"/> delivers to each on its own, so a slow or failing subscriber delays
/// only itself.
/// </summary>
public interface IRegistryEventSubscriber
{
    /// <summary>Stable name: the key of the subscriber's persisted cursor, and its name in <c>/readyz</c>. Never rename.</summary>
    string Name { get; }

    /// <summary>
    /// Handles a batch of consecutive events. Throwing means none of the batch is acknowledged: the dispatcher
    /// retries the same batch with backoff and reports the subscriber as failing until it succeeds.
    /// </summary>
    Task HandleAsync(IReadOnlyList<RegistryEvent> events, CancellationToken ct);
}
