using Bollard.Core.Trust;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>The <c>image_signing_keys</c> table (migration 0110). Rows only: the private key arrives sealed.</summary>
public sealed class SqliteImageSigningKeyStore(SqliteDatabase db) : IImageSigningKeyStore
{
    private const string Columns =
        "name AS Name, algorithm AS Algorithm, public_key_pem AS PublicKeyPem, fingerprint AS Fingerprint, encrypted_key AS EncryptedKey, " +
        "certificate_chain AS CertificateChain, allowed_principals AS AllowedPrincipals, created_by AS CreatedBy, created_at AS CreatedAt, updated_at AS UpdatedAt";

    public async ValueTask<bool> AddAsync(ImageSigningKeyRecord key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        return await db.WriteAsync(async (c, tx) => await c.ExecuteAsync(
            """
            INSERT INTO image_signing_keys(name, algorithm, public_key_pem, fingerprint, encrypted_key, certificate_chain, allowed_principals, created_by, created_at, updated_at)
            VALUES (@Name, @Algorithm, @PublicKeyPem, @Fingerprint, @EncryptedPrivateKey, @chain, @principals, @CreatedBy, @created, @created)
            ON CONFLICT DO NOTHING
            """,
            new
            {
                key.Name, key.Algorithm, key.PublicKeyPem, key.Fingerprint, EncryptedPrivateKey = new SqliteBlob(key.EncryptedPrivateKey), key.CreatedBy,
                chain = Json(key.CertificateChainPem), principals = Json(key.AllowedPrincipals), created = key.CreatedAt.ToUnixTimeMilliseconds(),
            }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);
    }

    public async ValueTask<ImageSigningKeyRecord?> GetAsync(string name, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryFirstOrDefaultAsync<KeyRow>($"SELECT {Columns} FROM image_signing_keys WHERE name = @name", new { name })).ConfigureAwait(false))?.ToRecord();

    public async ValueTask<IReadOnlyList<ImageSigningKeyRecord>> ListAsync(int max, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<KeyRow>($"SELECT {Columns} FROM image_signing_keys ORDER BY name LIMIT @max", new { max })).ConfigureAwait(false))
        .Select(r => r.ToRecord()).ToList();

    public async ValueTask<int> CountAsync(CancellationToken ct) =>
        await db.ReadAsync(c => c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM image_signing_keys")).ConfigureAwait(false);

    public async ValueTask<bool> DeleteAsync(string name, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync("DELETE FROM image_signing_keys WHERE name = @name", new { name }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);

    public async ValueTask<bool> SetAllowedPrincipalsAsync(string name, IReadOnlyList<string> principals, DateTimeOffset now, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync(
            "UPDATE image_signing_keys SET allowed_principals = @principals, updated_at = @now WHERE name = @name",
            new { name, principals = Json(principals), now = now.ToUnixTimeMilliseconds() }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);

    private static string Json(IReadOnlyList<string> values) => SqliteJson.Strings(values);

    private static string[] List(string json) => [.. SqliteJson.ReadStrings(json)];

    internal sealed class KeyRow
    {
        public string Name { get; set; } = "";
        public string Algorithm { get; set; } = "";
        public string PublicKeyPem { get; set; } = "";
        public string Fingerprint { get; set; } = "";
        public byte[] EncryptedKey { get; set; } = [];
        public string CertificateChain { get; set; } = "[]";
        public string AllowedPrincipals { get; set; } = "[]";
        public string CreatedBy { get; set; } = "";
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public ImageSigningKeyRecord ToRecord() => new(Name, Algorithm, PublicKeyPem, Fingerprint, EncryptedKey, List(CertificateChain), List(AllowedPrincipals), CreatedBy,
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt)) { UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt) };
    }
}

