using Bollard.Core.Scanning;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>The per-layer analysis cache (<c>Migrations/0080_layer_indexes.sql</c>): one row per (layer digest, engine version); a put replaces the row and removes older engine versions of the layer.</summary>
public sealed class SqliteLayerIndexStore(SqliteDatabase db) : ILayerIndexStore
{
    public Task<byte[]?> GetAsync(string layerDigest, int engineVersion, CancellationToken ct) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<byte[]?>(
            "SELECT data FROM layer_indexes WHERE layer_digest = @digest AND engine_version = @version",
            new { digest = layerDigest, version = engineVersion, ct }));

    public Task PutAsync(string layerDigest, int engineVersion, byte[] index, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(index);
        return db.WriteAsync(async (c, tx) =>
        {
            var args = new { digest = layerDigest, version = engineVersion, data = new SqliteBlob(index) };
            await c.ExecuteAsync(
                """
                INSERT INTO layer_indexes(layer_digest, engine_version, data) VALUES (@digest, @version, @data)
                ON CONFLICT(layer_digest, engine_version) DO UPDATE SET data = excluded.data
                """, args, tx).ConfigureAwait(false);
            await c.ExecuteAsync("DELETE FROM layer_indexes WHERE layer_digest = @digest AND engine_version < @version", args, tx).ConfigureAwait(false);
            return 0;
        }, ct);
    }
}
