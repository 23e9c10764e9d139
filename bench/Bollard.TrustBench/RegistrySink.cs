using Bollard.Core.Client;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Trust.Signatures;
using Bollard.Trust.Signing;

namespace Bollard.TrustBench;

/// <summary>
/// The attacher's sink over <see cref="RegistryClient"/>, as the CLI's <c>Cli/Signing/RegistryArtifactSink</c> (internal
/// to the exe) does it: manifest PUTs carry the attacher's condition, a 412 is a conflict, writes are read back.
/// </summary>
internal sealed class RegistrySink(RegistryClient client) : IArtifactSink
{
    public bool EnforcesConditions => false;

    public bool SupportsReferrers => true;

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

    public Task<byte[]> ReadBlobAsync(string repository, Digest digest, long maxBytes, CancellationToken ct) =>
        client.ReadBlobAsync(repository, digest, maxBytes, ct);

    public async Task PutBlobAsync(string repository, Digest digest, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        var written = await client.UploadBlobAsync(repository, content, ct).ConfigureAwait(false);
        if (written != digest) throw new BenchFailedException($"blob {digest} does not match its content ({written})");
    }

    public async Task<Digest> PutManifestAsync(string repository, string reference, string mediaType, byte[] body, TagCondition? condition, CancellationToken ct)
    {
        try
        {
            return await client.PutManifestAsync(repository, reference, mediaType, body, condition, ct).ConfigureAwait(false);
        }
        catch (RegistryClientException e) when (e.Error == RegistryClientError.PreconditionFailed)
        {
            throw new ArtifactConflictException(e.Message, e);
        }
    }
}
