namespace Bollard.Core.Trust;

/// <summary>
/// Server-held keys that sign images (not the token service's <c>ISigningKeyStore</c>). The store keeps rows only: the
/// private key arrives already encrypted (AES-GCM under the key-encryption key, by <c>Bollard.Trust</c>'s
/// <c>ServerSigningKeys</c>) and is never decrypted here. Names are unique. Thread-safe.
/// </summary>
public interface IImageSigningKeyStore
{
    /// <returns>false when a key of that name exists (nothing changed).</returns>
    ValueTask<bool> AddAsync(ImageSigningKeyRecord key, CancellationToken ct);

    /// <returns>null when there is no key of that name.</returns>
    ValueTask<ImageSigningKeyRecord?> GetAsync(string name, CancellationToken ct);

    /// <summary>Every key in name order, at most <paramref name="max"/>.</summary>
    ValueTask<IReadOnlyList<ImageSigningKeyRecord>> ListAsync(int max, CancellationToken ct);

    ValueTask<int> CountAsync(CancellationToken ct);

    /// <returns>false when there is no key of that name.</returns>
    ValueTask<bool> DeleteAsync(string name, CancellationToken ct);

    /// <summary>Replaces the principals allowed to sign with the key.</summary>
    /// <returns>false when there is no key of that name.</returns>
    ValueTask<bool> SetAllowedPrincipalsAsync(string name, IReadOnlyList<string> principals, DateTimeOffset now, CancellationToken ct);
}

/// <param name="Name">The key's name (<c>[a-z0-9][a-z0-9._-]{0,63}</c>), as policies refer to it (<c>serverKey</c>).</param>
/// <param name="Algorithm">The <c>SigningAlgorithm</c> name it signs with (<c>EcdsaP256Sha256</c>, <c>RsaPssSha256</c>, ...).</param>
/// <param name="PublicKeyPem">SubjectPublicKeyInfo PEM.</param>
/// <param name="Fingerprint">SHA-256 (lowercase hex) of the SubjectPublicKeyInfo DER.</param>
/// <param name="EncryptedPrivateKey">The PKCS#8 DER sealed with AES-GCM under the key-encryption key (never plain).</param>
/// <param name="CertificateChainPem">The certificate chain, leaf first, for Notation signatures; empty for a bare key.</param>
/// <param name="AllowedPrincipals">The users and robots (<c>robot$NAME</c>) that may sign with it.</param>
public sealed record ImageSigningKeyRecord(
    string Name, string Algorithm, string PublicKeyPem, string Fingerprint, byte[] EncryptedPrivateKey,
    IReadOnlyList<string> CertificateChainPem, IReadOnlyList<string> AllowedPrincipals, string CreatedBy, DateTimeOffset CreatedAt)
{
    public DateTimeOffset UpdatedAt { get; init; }
}
