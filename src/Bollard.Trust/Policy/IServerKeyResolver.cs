namespace Bollard.Trust.Policy;

/// <summary>
/// Resolves a policy's <c>serverKey</c> signer (a signing key held by this server) to its public key. Implemented by
/// the server's signing-key store; the CLI has none (a policy with server keys is evaluated in the server). Thread-safe.
/// </summary>
public interface IServerKeyResolver
{
    /// <returns>The key's public key (PEM, SubjectPublicKeyInfo); null when no key has that name (or it was deleted).</returns>
    Task<string?> GetPublicKeyPemAsync(string name, CancellationToken ct);
}
