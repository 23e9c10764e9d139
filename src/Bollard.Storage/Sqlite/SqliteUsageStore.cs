using Bollard.Core.Auth;
using Bollard.Core.Oci;
using Bollard.Core.Usage;
using Bollard.Core.Usage.Quotas;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>Usage and quota reads (one row each, kept by the triggers of <c>0050_usage.sql</c>) and quota changes on the writer.</summary>
public sealed class SqliteUsageStore(SqliteDatabase db) : IUsageStore, IQuotaStore
{
    private const string Columns = SqliteUsageQueries.Columns;

    public async ValueTask<StorageUsage?> GetRepositoryAsync(RepositoryName repository, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<SqliteUsageQueries.UsageRow>(
            $"SELECT {Columns} FROM usage_scopes WHERE kind = 'r' AND key = @name", new { name = repository.Value })).ConfigureAwait(false))?.ToUsage();

    public async ValueTask<IReadOnlyList<NamespaceUsage>> ListNamespacesAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<SqliteUsageQueries.UsageRow>($"SELECT {Columns} FROM usage_scopes WHERE kind = 'n' ORDER BY key")).ConfigureAwait(false))
            .Select(r => new NamespaceUsage(r.Key, r.ToUsage())).ToList();

    public async ValueTask<StorageUsage> GetRegistryAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<SqliteUsageQueries.UsageRow>($"SELECT {Columns} FROM usage_scopes WHERE kind = 'g'")).ConfigureAwait(false))?.ToUsage()
        ?? StorageUsage.Empty;

    public async ValueTask<IReadOnlyList<Quota>> ListAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<SqliteUsageQueries.UsageRow>($"SELECT {Columns} FROM usage_scopes WHERE kind = 'q' ORDER BY key")).ConfigureAwait(false))
            .Select(r => r.ToQuota()).ToList();

    public async ValueTask<bool> SetAsync(NamespacePattern pattern, long limitBytes, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) =>
        {
            var p = new { key = pattern.Value, limitBytes };
            if (await c.ExecuteAsync("UPDATE usage_scopes SET quota_bytes = @limitBytes WHERE kind = 'q' AND key = @key", p, tx).ConfigureAwait(false) > 0) return false;
            long scope = await c.ExecuteScalarAsync<long>("INSERT INTO usage_scopes(kind, key, quota_bytes) VALUES ('q', @key, @limitBytes) RETURNING id", p, tx).ConfigureAwait(false);
            // A new pattern: its repositories (matched by Core's pattern rules) and what they hold, counted once here.
            var repositories = await c.QueryAsync<SqliteUsageQueries.RepositoryRow>("SELECT id, name FROM repositories", transaction: tx).ConfigureAwait(false);
            await c.ExecuteAsync("INSERT INTO usage_scope_members(repository_id, scope_id) VALUES (@Id, @scope)",
                repositories.Where(r => pattern.Matches(r.Name)).Select(r => new { r.Id, scope }), tx).ConfigureAwait(false);
            await SqliteUsageQueries.RecountAsync(c, tx, scope).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);

    public async ValueTask<bool> RemoveAsync(NamespacePattern pattern, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) =>
            await c.ExecuteAsync("DELETE FROM usage_scopes WHERE kind = 'q' AND key = @key", new { key = pattern.Value }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);
}
