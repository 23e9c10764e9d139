using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>Repository and link reads on pooled read connections; writes are in <see cref="SqliteMetadataTransaction"/>.</summary>
public sealed class SqliteRepositoryStore(SqliteDatabase db) : IRepositoryStore
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
}
