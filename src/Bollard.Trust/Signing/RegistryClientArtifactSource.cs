using Bollard.Core.Client;
using Bollard.Core.Oci;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Signing;

/// <summary>
/// Signature discovery's view of any registry, through <see cref="RegistryClient"/>: what <c>bollard verify</c> reads (and <see cref="RegistryClientArtifactSink"/> reads back).
/// Referrers come from the OCI 1.1 API or, on a registry without it, the <c>sha256-HEX</c> fallback index.
/// </summary>
public sealed class RegistryClientArtifactSource(RegistryClient client) : IArtifactSource
{
    public async Task<ArtifactManifest?> GetManifestAsync(string repository, string reference, CancellationToken ct)
    {
        var manifest = await client.TryGetManifestAsync(repository, reference, ct).ConfigureAwait(false);
        return manifest is null ? null : new ArtifactManifest(manifest.Digest, manifest.MediaType, manifest.Body);
    }

    public async Task<IReadOnlyList<ArtifactReferrer>> ListReferrersAsync(string repository, Digest subject, int max, CancellationToken ct)
    {
        var referrers = await client.ListReferrersAsync(repository, subject, max, ct).ConfigureAwait(false);
        return [.. referrers.Select(d => new ArtifactReferrer(d.Digest, d.MediaType, d.ArtifactType, d.Size)
        {
            Annotations = d.Annotations ?? new Dictionary<string, string>(),
        })];
    }

    public async Task<byte[]> ReadBlobAsync(string repository, Digest digest, long maxBytes, CancellationToken ct)
    {
        try
        {
            return await client.ReadBlobAsync(repository, digest, maxBytes, ct).ConfigureAwait(false);
        }
        catch (RegistryClientException e) when (e.Error == RegistryClientError.NotFound)
        {
            throw new FileNotFoundException(e.Message, e);
        }
        catch (RegistryClientException e) when (e.Error == RegistryClientError.Invalid)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }
}
