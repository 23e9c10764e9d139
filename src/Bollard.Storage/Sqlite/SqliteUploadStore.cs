using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Dapper;

namespace Bollard.Storage.Sqlite;

public sealed class SqliteUploadStore(SqliteDatabase db) : IUploadStore
{
    public async ValueTask CreateAsync(UploadRecord upload, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteAsync(
            "INSERT INTO uploads(id, repository, owner, created_at, updated_at) VALUES (@Id, @repository, @Owner, @created, @updated)",
            new { upload.Id, upload.Owner, repository = upload.Repository.Value, created = upload.CreatedAt.ToUnixTimeMilliseconds(), updated = upload.UpdatedAt.ToUnixTimeMilliseconds() }, tx), ct).ConfigureAwait(false);

    public async ValueTask<bool> TryCreateAsync(UploadRecord upload, int maxOpenPerOwner, CancellationToken ct) =>
        // One statement inside the single writer: the count (an index range on uploads_owner) and the insert
        // cannot be interleaved with another request's.
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync(
            """
            INSERT INTO uploads(id, repository, owner, created_at, updated_at)
            SELECT @Id, @repository, @Owner, @created, @updated
            WHERE (SELECT COUNT(*) FROM uploads WHERE owner = @Owner) < @max
            """,
            new { upload.Id, upload.Owner, repository = upload.Repository.Value, created = upload.CreatedAt.ToUnixTimeMilliseconds(), updated = upload.UpdatedAt.ToUnixTimeMilliseconds(), max = maxOpenPerOwner },
            tx).ConfigureAwait(false) == 1, ct).ConfigureAwait(false);

    public async ValueTask<int> CountByOwnerAsync(string owner, CancellationToken ct) =>
        await db.ReadAsync(c => c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM uploads WHERE owner = @owner", new { owner })).ConfigureAwait(false);

    public async ValueTask<UploadRecord?> GetAsync(string id, CancellationToken ct)
    {
        var row = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<UploadRow>(
            "SELECT id, repository, owner, created_at AS CreatedAt, updated_at AS UpdatedAt FROM uploads WHERE id = @id", new { id })).ConfigureAwait(false);
        return row?.ToRecord();
    }

    public async ValueTask TouchAsync(string id, DateTimeOffset now, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteAsync("UPDATE uploads SET updated_at = @now WHERE id = @id",
            new { id, now = now.ToUnixTimeMilliseconds() }, tx), ct).ConfigureAwait(false);

    public async ValueTask DeleteAsync(string id, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteAsync("DELETE FROM uploads WHERE id = @id", new { id }, tx), ct).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<UploadRecord>> ListAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<UploadRow>(
            "SELECT id, repository, owner, created_at AS CreatedAt, updated_at AS UpdatedAt FROM uploads ORDER BY id")).ConfigureAwait(false))
        .Select(r => r.ToRecord()).ToList();

    internal sealed class UploadRow
    {
        public string Id { get; set; } = "";
        public string Repository { get; set; } = "";
        public string Owner { get; set; } = "";
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }
        public UploadRecord ToRecord() => new(Id, RepositoryName.Parse(Repository),
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt)) { Owner = Owner };
    }
}
