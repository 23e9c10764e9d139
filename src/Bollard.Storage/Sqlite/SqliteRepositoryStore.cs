using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Sqlite;

public sealed class SqliteRepositoryStore(SqliteDatabase db, TimeProvider time) : IRepositoryStore
{
    public async ValueTask<bool> ExistsAsync(RepositoryName repository, CancellationToken ct) =>
        await db.ReadAsync(c => c.ExecuteScalarAsync<bool>(
            "SELECT EXISTS(SELECT 1 FROM repositories WHERE name = @name)", new { name = repository.Value })).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<string>> ListAsync(string? last, int limit, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<string>(
            "SELECT name FROM repositories WHERE @last IS NULL OR name > @last ORDER BY name LIMIT @limit",
            new { last, limit })).ConfigureAwait(false)).AsList();

    public async ValueTask<bool> IsBlobLinkedAsync(RepositoryName repository, Digest digest, CancellationToken ct) =>
        await db.ReadAsync(c => c.ExecuteScalarAsync<bool>(
            """
            SELECT EXISTS(SELECT 1 FROM repository_blobs b JOIN repositories r ON r.id = b.repository_id
                          WHERE r.name = @name AND b.digest = @digest)
            """, new { name = repository.Value, digest = digest.ToString() })).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<RepositoryName>> ListLinkingAsync(Digest digest, int limit, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<string>(
            "SELECT r.name FROM repository_blobs b JOIN repositories r ON r.id = b.repository_id WHERE b.digest = @digest ORDER BY r.name LIMIT @limit",
            new { digest = digest.ToString(), limit })).ConfigureAwait(false)).Select(RepositoryName.Parse).ToList();

    public async ValueTask LinkBlobAsync(RepositoryName repository, Digest digest, long size, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) =>
        {
            long now = time.GetUtcNow().ToUnixTimeMilliseconds();
            long id = await EnsureRepositoryAsync(c, tx, repository, now).ConfigureAwait(false);
            return await c.ExecuteAsync(
                "INSERT OR IGNORE INTO repository_blobs(repository_id, digest, size, created_at) VALUES (@id, @digest, @size, @now)",
                new { id, digest = digest.ToString(), size, now }, tx).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

    public async ValueTask<bool> UnlinkBlobAsync(RepositoryName repository, Digest digest, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync(
            "DELETE FROM repository_blobs WHERE digest = @digest AND repository_id = (SELECT id FROM repositories WHERE name = @name)",
            new { name = repository.Value, digest = digest.ToString() }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);

    internal static async Task<long> EnsureRepositoryAsync(SqliteConnection c, SqliteTransaction tx, RepositoryName repository, long now)
    {
        await c.ExecuteAsync("INSERT OR IGNORE INTO repositories(name, created_at) VALUES (@name, @now)",
            new { name = repository.Value, now }, tx).ConfigureAwait(false);
        return await c.ExecuteScalarAsync<long>("SELECT id FROM repositories WHERE name = @name", new { name = repository.Value }, tx).ConfigureAwait(false);
    }
}
