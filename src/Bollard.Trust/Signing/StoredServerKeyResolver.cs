using Bollard.Core.Trust;
using Bollard.Trust.Policy;

namespace Bollard.Trust.Signing;

/// <summary>A policy's <c>serverKey</c> signer resolved through the server-held key store: the public key only, read per call (a deleted key stops counting at once).</summary>
public sealed class StoredServerKeyResolver(IImageSigningKeyStore store) : IServerKeyResolver
{
    public async Task<string?> GetPublicKeyPemAsync(string name, CancellationToken ct) =>
        (await store.GetAsync(name, ct).ConfigureAwait(false))?.PublicKeyPem;
}
