using Bollard.Core.Events;
using Bollard.Core.Trust;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>Trust policy versions (<c>Migrations/0100_trust_policies.sql</c>); a change and its <c>PolicyChanged</c> event commit together.</summary>
public sealed class SqliteTrustPolicyStore(SqliteDatabase db, RegistryEventSignal signal) : ITrustPolicyStore
{
    private const string Columns =
        "name AS Name, version AS Version, pattern AS Pattern, mode AS Mode, document AS Document, locked AS Locked, changed_by AS ChangedBy, changed_at AS ChangedAt, comment AS Comment";

    public async ValueTask<IReadOnlyList<TrustPolicyVersion>> ListAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<Row>(
            $"""
            SELECT {Columns} FROM trust_policy_versions v
            WHERE version = (SELECT MAX(version) FROM trust_policy_versions w WHERE w.name = v.name) AND document IS NOT NULL
            ORDER BY name
            """, new { ct })).ConfigureAwait(false)).Select(r => r.ToVersion()).ToList();

    public async ValueTask<TrustPolicyVersion?> GetAsync(string name, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryFirstOrDefaultAsync<Row>(
            $"SELECT {Columns} FROM trust_policy_versions WHERE name = @name ORDER BY version DESC LIMIT 1", new { name, ct })).ConfigureAwait(false))?.ToVersion();

    public async ValueTask<TrustPolicyVersion?> GetVersionAsync(string name, long version, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryFirstOrDefaultAsync<Row>(
            $"SELECT {Columns} FROM trust_policy_versions WHERE name = @name AND version = @version", new { name, version, ct })).ConfigureAwait(false))?.ToVersion();

    public async ValueTask<IReadOnlyList<TrustPolicyVersion>> HistoryAsync(string name, int limit, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<Row>(
            $"SELECT {Columns} FROM trust_policy_versions WHERE name = @name ORDER BY version DESC LIMIT @limit", new { name, limit, ct })).ConfigureAwait(false))
        .Select(r => r.ToVersion()).ToList();

    public async ValueTask<bool> AppendAsync(TrustPolicyVersion version, RegistryEvent changed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(changed);
        bool stored = await db.WriteAsync(async (c, tx) =>
        {
            int rows = await c.ExecuteAsync(
                """
                INSERT INTO trust_policy_versions(name, version, pattern, mode, document, locked, changed_by, changed_at, comment)
                VALUES (@Name, @Version, @Pattern, @Mode, @Document, @Locked, @ChangedBy, @at, @Comment)
                ON CONFLICT (name, version) DO NOTHING
                """,
                new { version.Name, version.Version, version.Pattern, version.Mode, version.Document, version.Locked, version.ChangedBy, at = version.ChangedAt.ToUnixTimeMilliseconds(), version.Comment },
                tx).ConfigureAwait(false);
            if (rows == 0) return false;
            // The same row shape as SqliteMetadataTransaction.AppendEventAsync: the outbox is one table.
            await c.ExecuteAsync(
                """
                INSERT INTO registry_events(time, kind, repository, digest, tag, previous_digest, media_type, size, principal, client, detail)
                VALUES (@time, @kind, @repository, @digest, @Tag, NULL, @MediaType, @Size, @Principal, @ClientAddress, @Detail)
                """,
                new
                {
                    time = changed.Time.ToUnixTimeMilliseconds(), kind = changed.Kind.ToString(), repository = changed.Repository?.Value ?? "", digest = changed.Digest?.ToString(),
                    changed.Tag, changed.MediaType, changed.Size, changed.Principal, changed.ClientAddress, changed.Detail,
                }, tx).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
        if (stored) signal.Notify();
        return stored;
    }

    internal sealed class Row
    {
        public string Name { get; set; } = "";
        public long Version { get; set; }
        public string Pattern { get; set; } = "";
        public string Mode { get; set; } = "";
        public string? Document { get; set; }
        public bool Locked { get; set; }
        public string ChangedBy { get; set; } = "";
        public long ChangedAt { get; set; }
        public string? Comment { get; set; }

        public TrustPolicyVersion ToVersion() => new()
        {
            Name = Name, Version = Version, Pattern = Pattern, Mode = Mode, Document = Document, Locked = Locked, ChangedBy = ChangedBy,
            ChangedAt = DateTimeOffset.FromUnixTimeMilliseconds(ChangedAt), Comment = Comment,
        };
    }
}
