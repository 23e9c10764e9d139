using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;
using Bollard.Trust.Signatures;

namespace Bollard.Server.Trust;

/// <summary>
/// The registry's own artifacts as an <see cref="IArtifactSource"/>, for signature discovery in the server (the pull gate,
/// admission, the signatures API). Reads the metadata store and the repository-scoped blob reader directly: no access
/// check (the caller decided), no pull gate (signatures are never gated), no pull-time or metrics side effects.
/// </summary>
public sealed class StoredArtifactSource(IManifestStore manifests, IBlobReader blobs) : IArtifactSource
{
    public async Task<ArtifactManifest?> GetManifestAsync(string repository, string reference, CancellationToken ct)
    {
        if (!RepositoryName.TryParse(repository, out var name)) return null;
        ManifestRecord? record = Digest.TryParse(reference, out var digest)
            ? await manifests.GetAsync(name, digest, ct).ConfigureAwait(false)
            : Tag.IsValid(reference) ? await manifests.GetByTagAsync(name, reference, ct).ConfigureAwait(false) : null;
        return record is null ? null : new ArtifactManifest(record.Digest, record.MediaType, record.Content);
    }

    public async Task<IReadOnlyList<ArtifactReferrer>> ListReferrersAsync(string repository, Digest subject, int max, CancellationToken ct)
    {
        if (!RepositoryName.TryParse(repository, out var name)) return [];
        if (max <= 0) return [];
        // Only the first `max` rows are read: an image with 10,000 referrers costs a bounded query.
        var referrers = await manifests.ListReferrersAsync(name, subject, null, null, max, ct).ConfigureAwait(false);
        return referrers.Select(r => new ArtifactReferrer(r.Digest, r.MediaType, r.ArtifactType, r.Size)
        {
            Annotations = r.AnnotationsJson is null ? new Dictionary<string, string>()
                : JsonSerializer.Deserialize(r.AnnotationsJson, Bollard.Server.Distribution.ServerJson.Default.DictionaryStringString) ?? new Dictionary<string, string>(),
        }).ToList();
    }

    public async Task<byte[]> ReadBlobAsync(string repository, Digest digest, long maxBytes, CancellationToken ct)
    {
        if (!RepositoryName.TryParse(repository, out var name)) throw new FileNotFoundException($"{repository} is not a repository name");
        BlobInfo info;
        try
        {
            info = await blobs.StatAsync(name, digest, ct).ConfigureAwait(false);
        }
        catch (OciException e) when (e.Error == OciErrors.BlobUnknown)
        {
            throw new FileNotFoundException($"{repository} does not hold blob {digest}");
        }
        if (info.Size > maxBytes) throw new InvalidDataException($"blob {digest} is {info.Size} bytes, over the limit of {maxBytes}");
        var stream = await blobs.OpenAsync(name, digest, null, ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            byte[] content = new byte[info.Size];
            await stream.ReadExactlyAsync(content, ct).ConfigureAwait(false);
            // Stored blobs were verified on upload; checking again costs little at these sizes and catches a corrupted store.
            if (Digest.Compute(digest.Algorithm, content) != digest) throw new InvalidDataException($"blob {digest} does not match its digest");
            return content;
        }
    }
}
