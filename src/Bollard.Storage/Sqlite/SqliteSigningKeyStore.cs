using Bollard.Core.Auth;
using Dapper;

namespace Bollard.Storage.Sqlite;

public sealed class SqliteSigningKeyStore(SqliteDatabase db) : ISigningKeyStore
{
    public async ValueTask<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<KeyRow>(
            "SELECT key_id AS KeyId, private_key AS PrivateKey, created_at AS CreatedAt, retired_at AS RetiredAt FROM signing_keys ORDER BY created_at DESC, key_id")).ConfigureAwait(false))
        .Select(r => new SigningKeyRecord(r.KeyId, r.PrivateKey, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), SqliteIdentityStore.Time(r.RetiredAt)))
        .ToList();

    public async ValueTask AddAsync(SigningKeyRecord key, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteAsync(
            "INSERT INTO signing_keys(key_id, private_key, created_at, retired_at) VALUES (@KeyId, @PrivateKeyPkcs8, @created, NULL)",
            new { key.KeyId, PrivateKeyPkcs8 = new SqliteBlob(key.PrivateKeyPkcs8), created = key.CreatedAt.ToUnixTimeMilliseconds() }, tx), ct).ConfigureAwait(false);

    public async ValueTask RetireOthersAsync(string keepKeyId, DateTimeOffset now, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteAsync(
            "UPDATE signing_keys SET retired_at = @now WHERE key_id <> @keepKeyId AND retired_at IS NULL",
            new { keepKeyId, now = now.ToUnixTimeMilliseconds() }, tx), ct).ConfigureAwait(false);

    internal sealed class KeyRow
    {
        public string KeyId { get; set; } = "";
        public byte[] PrivateKey { get; set; } = [];
        public long CreatedAt { get; set; }
        public long? RetiredAt { get; set; }
    }
}
