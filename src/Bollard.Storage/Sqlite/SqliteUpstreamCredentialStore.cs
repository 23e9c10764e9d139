using Bollard.Core.Mirror;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>The <c>mirror_upstream_credentials</c> table (migration 0125). Rows only: the credentials arrive sealed.</summary>
public sealed class SqliteUpstreamCredentialStore(SqliteDatabase db) : IUpstreamCredentialStore
{
    private const string Columns = "upstream AS Upstream, sealed AS Sealed, updated_by AS UpdatedBy, updated_at AS UpdatedAt";

    public async Task<StoredUpstreamCredential?> GetAsync(string upstream, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM mirror_upstream_credentials WHERE upstream = @upstream", new { upstream }))
            .ConfigureAwait(false))?.ToRecord();

    public async Task<IReadOnlyList<StoredUpstreamCredential>> ListAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<Row>($"SELECT {Columns} FROM mirror_upstream_credentials ORDER BY upstream")).ConfigureAwait(false))
        .Select(r => r.ToRecord()).ToList();

    public async Task PutAsync(StoredUpstreamCredential credential, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(credential);
        await db.WriteAsync((c, tx) => c.ExecuteAsync(
            """
            INSERT INTO mirror_upstream_credentials(upstream, sealed, updated_by, updated_at) VALUES (@Upstream, @Sealed, @UpdatedBy, @at)
            ON CONFLICT(upstream) DO UPDATE SET sealed = excluded.sealed, updated_by = excluded.updated_by, updated_at = excluded.updated_at
            """,
            new { credential.Upstream, Sealed = new SqliteBlob(credential.Sealed), credential.UpdatedBy, at = credential.UpdatedAt.ToUnixTimeMilliseconds() }, tx), ct).ConfigureAwait(false);
    }

    public async Task<bool> DeleteAsync(string upstream, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync("DELETE FROM mirror_upstream_credentials WHERE upstream = @upstream", new { upstream }, tx).ConfigureAwait(false) > 0, ct)
            .ConfigureAwait(false);

    internal sealed class Row
    {
        public string Upstream { get; set; } = "";
        public byte[] Sealed { get; set; } = [];
        public string UpdatedBy { get; set; } = "";
        public long UpdatedAt { get; set; }

        public StoredUpstreamCredential ToRecord() => new(Upstream, Sealed, UpdatedBy, DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt));
    }
}
