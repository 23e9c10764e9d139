using Bollard.Core.Mirror;
using Bollard.Core.Oci;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>The mirror's tag states (<c>Migrations/0120_mirror.sql</c>): one row per cached tag, gone with the tag or its repository.</summary>
public sealed class SqliteMirrorStore(SqliteDatabase db) : IMirrorStore
{
    private const string Columns =
        """
        r.name AS Repository, m.tag AS Tag, m.digest AS Digest, m.checked_at AS CheckedAt, m.failed_at AS FailedAt,
        m.last_error AS LastError, m.removed_upstream AS RemovedUpstream
        """;

    public async Task<MirrorTagState?> GetTagAsync(RepositoryName repository, string tag, CancellationToken ct)
    {
        var row = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<Row>(
            $"SELECT {Columns} FROM mirror_tags m JOIN repositories r ON r.id = m.repository_id WHERE r.name = @name AND m.tag = @tag",
            new { name = repository.Value, tag })).ConfigureAwait(false);
        return row?.ToState();
    }

    /// <summary>Inserts or replaces the state; nothing when the tag does not exist (it was removed meanwhile).</summary>
    public async Task SetTagAsync(MirrorTagState state, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(state);
        await db.WriteAsync((c, tx) => c.ExecuteAsync(
            """
            INSERT INTO mirror_tags(repository_id, tag, digest, checked_at, failed_at, last_error, removed_upstream)
            SELECT t.repository_id, t.name, @digest, @checkedAt, @failedAt, @lastError, @removed
            FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE r.name = @name AND t.name = @tag
            ON CONFLICT(repository_id, tag) DO UPDATE SET digest = excluded.digest, checked_at = excluded.checked_at,
                failed_at = excluded.failed_at, last_error = excluded.last_error, removed_upstream = excluded.removed_upstream
            """,
            new
            {
                name = state.Repository.Value, tag = state.Tag, digest = state.Digest.ToString(), checkedAt = state.CheckedAt.ToUnixTimeMilliseconds(),
                failedAt = state.FailedAt?.ToUnixTimeMilliseconds(), lastError = state.LastError, removed = state.RemovedUpstream ? 1 : 0,
            }, tx), ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<MirrorTagState>> ListTagsAsync(RepositoryName? repository, int limit, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<Row>(
            $"""
            SELECT {Columns} FROM mirror_tags m JOIN repositories r ON r.id = m.repository_id
            WHERE @name IS NULL OR r.name = @name
            ORDER BY r.name, m.tag LIMIT @limit
            """, new { name = repository?.Value, limit = Math.Max(0, limit) })).ConfigureAwait(false))
        .Select(r => r.ToState()).ToList();

    public async Task DeleteTagAsync(RepositoryName repository, string tag, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteAsync(
            "DELETE FROM mirror_tags WHERE tag = @tag AND repository_id = (SELECT id FROM repositories WHERE name = @name)",
            new { name = repository.Value, tag }, tx), ct).ConfigureAwait(false);

    internal sealed class Row
    {
        public string Repository { get; set; } = "";
        public string Tag { get; set; } = "";
        public string Digest { get; set; } = "";
        public long CheckedAt { get; set; }
        public long? FailedAt { get; set; }
        public string? LastError { get; set; }
        public long RemovedUpstream { get; set; }

        public MirrorTagState ToState() => new(
            RepositoryName.Parse(Repository), Tag, Core.Oci.Digest.Parse(Digest), DateTimeOffset.FromUnixTimeMilliseconds(CheckedAt),
            FailedAt is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null, LastError, RemovedUpstream != 0);
    }
}
