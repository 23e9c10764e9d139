using Bollard.Core.Client;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Signing;

/// <summary>
/// Where a client (<c>bollard sign</c>, the trust bench) writes signatures: any registry, through <see cref="RegistryClient"/>. Manifest PUTs carry
/// the attacher's condition as <c>If-Match</c>/<c>If-None-Match</c>; Bollard answers 412 when the tag moved (turned into
/// <see cref="ArtifactConflictException"/>, so the attacher reads again), other registries ignore the headers.
/// </summary>
/// <remarks>
/// <see cref="EnforcesConditions"/> is false: nothing in a registry's answers says whether it honours the headers, so the
/// attacher always reads its write back. Against Bollard that is one extra GET per tag written and changes nothing else
/// (a lost race is still a 412, never a lost signature).
/// </remarks>
public sealed class RegistryClientArtifactSink(RegistryClient client) : IArtifactSink
{
    private readonly RegistryClientArtifactSource _source = new(client);
    private bool? _referrers;

    public bool EnforcesConditions => false;

    /// <summary>Known after <see cref="ProbeReferrersAsync"/> (false before: the fallback index is kept, which is never wrong).</summary>
    public bool SupportsReferrers => _referrers ?? false;

    /// <summary>Asks the registry once whether it answers the referrers API for <paramref name="subject"/>.</summary>
    public async Task ProbeReferrersAsync(string repository, Digest subject, CancellationToken ct) =>
        _referrers ??= await client.SupportsReferrersAsync(repository, subject, ct).ConfigureAwait(false);

    public Task<ArtifactManifest?> GetManifestAsync(string repository, string reference, CancellationToken ct) =>
        _source.GetManifestAsync(repository, reference, ct);

    public Task<IReadOnlyList<ArtifactReferrer>> ListReferrersAsync(string repository, Digest subject, int max, CancellationToken ct) =>
        _source.ListReferrersAsync(repository, subject, max, ct);

    public Task<byte[]> ReadBlobAsync(string repository, Digest digest, long maxBytes, CancellationToken ct) =>
        _source.ReadBlobAsync(repository, digest, maxBytes, ct);

    public async Task PutBlobAsync(string repository, Digest digest, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        var written = await client.UploadBlobAsync(repository, content, ct).ConfigureAwait(false);
        if (written != digest) throw new InvalidOperationException($"blob {digest} does not match its content ({written})");
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
