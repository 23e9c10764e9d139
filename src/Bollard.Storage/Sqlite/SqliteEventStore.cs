using Bollard.Core.Events;
using Bollard.Core.Oci;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>The outbox (<c>registry_events</c>) and cursors (<c>event_cursors</c>) of <c>Migrations/0020_events.sql</c>.</summary>
public sealed class SqliteEventStore(SqliteDatabase db, TimeProvider time) : IEventStore
{
    public async ValueTask<IReadOnlyList<RegistryEvent>> ReadAsync(long after, int limit, CancellationToken ct)
    {
        var rows = await db.ReadAsync(c => c.QueryAsync<EventRow>(
            """
            SELECT seq AS Seq, time AS Time, kind AS Kind, repository AS Repository, digest AS Digest, tag AS Tag,
                   previous_digest AS PreviousDigest, media_type AS MediaType, size AS Size, principal AS Principal,
                   client AS Client, detail AS Detail
            FROM registry_events WHERE seq > @after ORDER BY seq LIMIT @limit
            """, new { after, limit })).ConfigureAwait(false);
        return rows.Select(r => r.ToEvent()).ToList();
    }

    public async ValueTask<long> HeadAsync(CancellationToken ct) =>
        await db.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(seq), 0) FROM registry_events")).ConfigureAwait(false);

    public async ValueTask<long> GetCursorAsync(string subscriber, CancellationToken ct) =>
        await db.ReadAsync(c => c.ExecuteScalarAsync<long?>("SELECT position FROM event_cursors WHERE subscriber = @subscriber", new { subscriber })).ConfigureAwait(false) ?? 0;

    public async ValueTask SetCursorAsync(string subscriber, long position, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteAsync(
            """
            INSERT INTO event_cursors(subscriber, position, updated_at) VALUES (@subscriber, @position, @now)
            ON CONFLICT(subscriber) DO UPDATE SET position = MAX(position, excluded.position), updated_at = excluded.updated_at
            """, new { subscriber, position, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, tx), ct).ConfigureAwait(false);

    public async ValueTask<int> PruneAsync(long deliveredUpTo, DateTimeOffset olderThan, int limit, CancellationToken ct) =>
        // One bounded batch per transaction: the single writer is held for a few milliseconds, not for the backlog.
        await db.WriteAsync((c, tx) => c.ExecuteAsync(
            """
            DELETE FROM registry_events WHERE seq IN (
                SELECT seq FROM registry_events WHERE seq <= @deliveredUpTo AND time < @before ORDER BY seq LIMIT @limit)
            """, new { deliveredUpTo, before = olderThan.ToUnixTimeMilliseconds(), limit }, tx), ct).ConfigureAwait(false);

    internal sealed class EventRow
    {
        public long Seq { get; set; }
        public long Time { get; set; }
        public string Kind { get; set; } = "";
        public string Repository { get; set; } = "";
        public string? Digest { get; set; }
        public string? Tag { get; set; }
        public string? PreviousDigest { get; set; }
        public string? MediaType { get; set; }
        public long? Size { get; set; }
        public string Principal { get; set; } = "";
        public string Client { get; set; } = "";
        public string? Detail { get; set; }

        public RegistryEvent ToEvent() => new()
        {
            Sequence = Seq,
            Time = DateTimeOffset.FromUnixTimeMilliseconds(Time),
            Kind = Enum.Parse<RegistryEventKind>(Kind),
            Repository = Repository.Length == 0 ? null : RepositoryName.Parse(Repository),
            Digest = Digest is null ? null : Core.Oci.Digest.Parse(Digest),
            Tag = Tag,
            PreviousDigest = PreviousDigest is null ? null : Core.Oci.Digest.Parse(PreviousDigest),
            MediaType = MediaType,
            Size = Size,
            Principal = Principal,
            ClientAddress = Client,
            Detail = Detail,
        };
    }
}
