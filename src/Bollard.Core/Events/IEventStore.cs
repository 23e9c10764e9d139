namespace Bollard.Core.Events;

/// <summary>
/// The read side of the registry event outbox, and each subscriber's cursor. Events are appended only inside a
/// metadata transaction (<see cref="Storage.IMetadataTransaction.AppendEventAsync"/>). Thread-safe.
/// </summary>
/// <remarks>
/// Sequence numbers must increase in commit order, or a reader could pass a lower number that commits later.
/// SQLite has one writer, so <c>AUTOINCREMENT</c> is in commit order. PostgreSQL must not hand them out from a
/// plain sequence: take the outbox counter row <c>FOR UPDATE</c> in the appending transaction (or a transaction
/// advisory lock) so appends are serialized.
/// </remarks>
public interface IEventStore
{
    /// <summary>Committed events with a sequence above <paramref name="after"/>, ascending, at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<RegistryEvent>> ReadAsync(long after, int limit, CancellationToken ct);

    /// <returns>The highest committed sequence number, 0 when there are no events.</returns>
    ValueTask<long> HeadAsync(CancellationToken ct);

    /// <returns>The last sequence the subscriber acknowledged; 0 for a subscriber never seen (it starts from the first event).</returns>
    ValueTask<long> GetCursorAsync(string subscriber, CancellationToken ct);

    /// <summary>Saves the subscriber's cursor durably. Never moves it backwards.</summary>
    ValueTask SetCursorAsync(string subscriber, long position, CancellationToken ct);

    /// <summary>
    /// Deletes up to <paramref name="limit"/> of the oldest events with a sequence at or below
    /// <paramref name="deliveredUpTo"/> and a time before <paramref name="olderThan"/>. Idempotent; never touches a
    /// later event, so an event not yet delivered to every subscriber is kept however old it is.
    /// </summary>
    /// <returns>How many events were deleted.</returns>
    ValueTask<int> PruneAsync(long deliveredUpTo, DateTimeOffset olderThan, int limit, CancellationToken ct);
}
