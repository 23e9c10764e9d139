using Bollard.Core.Auth;
using Bollard.Core.Usage;
using Bollard.Core.Usage.Quotas;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Sqlite;

/// <summary>Reads and writes of the usage scopes of <c>Migrations/0050_usage.sql</c>, shared by the read side and the write transaction.</summary>
internal static class SqliteUsageQueries
{
    public const string Columns = "key AS Key, blob_total AS BlobTotal, blob_unique AS BlobUnique, blobs AS Blobs, manifest_bytes AS ManifestBytes, manifests AS Manifests, quota_bytes AS QuotaBytes";

    /// <summary>Adds a repository just created to the scope of every quota whose pattern matches it.</summary>
    public static async Task JoinQuotasAsync(SqliteConnection c, SqliteTransaction tx, string repository)
    {
        var quotas = await c.QueryAsync<ScopeRow>("SELECT id, key FROM usage_scopes WHERE kind = 'q'", transaction: tx).ConfigureAwait(false);
        foreach (var (id, key) in quotas)
            if (NamespacePattern.Parse(key).Matches(repository))
                await c.ExecuteAsync("INSERT OR IGNORE INTO usage_scope_members(repository_id, scope_id) SELECT id, @id FROM repositories WHERE name = @repository",
                    new { id, repository }, tx).ConfigureAwait(false);
    }

    /// <summary>The quotas that apply to a repository: its quota scopes, or (not created yet) the patterns that match its name.</summary>
    public static async Task<IReadOnlyList<Quota>> QuotasOfAsync(SqliteConnection c, SqliteTransaction? tx, string repository)
    {
        var rows = (await c.QueryAsync<UsageRow>(
            $"""
            SELECT {Columns} FROM usage_scopes s JOIN usage_scope_members m ON m.scope_id = s.id
            WHERE s.kind = 'q' AND m.repository_id = (SELECT id FROM repositories WHERE name = @repository) ORDER BY key
            """, new { repository }, tx).ConfigureAwait(false)).AsList();
        if (rows.Count == 0 && !await c.ExecuteScalarAsync<bool>("SELECT EXISTS(SELECT 1 FROM repositories WHERE name = @repository)", new { repository }, tx).ConfigureAwait(false))
            rows = (await c.QueryAsync<UsageRow>($"SELECT {Columns} FROM usage_scopes WHERE kind = 'q' ORDER BY key", transaction: tx).ConfigureAwait(false))
                .Where(r => NamespacePattern.Parse(r.Key).Matches(repository)).ToList();
        return rows.Select(r => r.ToQuota()).ToList();
    }

    /// <summary>Counts a scope's usage afresh from the metadata (a new quota's pattern).</summary>
    public static async Task RecountAsync(SqliteConnection c, SqliteTransaction tx, long scope) =>
        await c.ExecuteAsync(
            """
            DELETE FROM usage_scope_blobs WHERE scope_id = @scope;
            INSERT INTO usage_scope_blobs(scope_id, digest, size, refs)
                SELECT @scope, b.digest, MAX(b.size), COUNT(*) FROM repository_blobs b JOIN usage_scope_members m ON m.repository_id = b.repository_id
                WHERE m.scope_id = @scope GROUP BY b.digest;
            UPDATE usage_scopes SET
                blob_total = (SELECT COALESCE(SUM(sb.size), 0) FROM usage_scope_blobs sb WHERE sb.scope_id = @scope),
                blobs = (SELECT COUNT(*) FROM usage_scope_blobs sb WHERE sb.scope_id = @scope),
                blob_unique = (SELECT COALESCE(SUM(sb.size), 0) FROM usage_scope_blobs sb JOIN usage_blobs g ON g.digest = sb.digest
                               WHERE sb.scope_id = @scope AND sb.refs = g.refs),
                manifest_bytes = (SELECT COALESCE(SUM(mf.size), 0) FROM manifests mf JOIN usage_scope_members m ON m.repository_id = mf.repository_id WHERE m.scope_id = @scope),
                manifests = (SELECT COUNT(*) FROM manifests mf JOIN usage_scope_members m ON m.repository_id = mf.repository_id WHERE m.scope_id = @scope)
            WHERE id = @scope;
            """, new { scope }, tx).ConfigureAwait(false);

    // Dapper.AOT builds records, not tuples; internal because its generated readers live outside this class.
    internal readonly record struct ScopeRow(long Id, string Key);

    internal readonly record struct RepositoryRow(long Id, string Name);

    internal sealed class UsageRow
    {
        public string Key { get; set; } = "";
        public long BlobTotal { get; set; }
        public long BlobUnique { get; set; }
        public long Blobs { get; set; }
        public long ManifestBytes { get; set; }
        public long Manifests { get; set; }
        public long? QuotaBytes { get; set; }

        public StorageUsage ToUsage() => new(BlobTotal + ManifestBytes, BlobUnique + ManifestBytes, ManifestBytes, Manifests, Blobs);

        public Quota ToQuota() => new(NamespacePattern.Parse(Key), QuotaBytes ?? 0, ToUsage());
    }
}
