using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Signing;

/// <summary>
/// The server's <see cref="IArtifactSink"/>: writes through <see cref="BlobService"/> and <see cref="ManifestService"/> as
/// <see cref="Actor"/> (the principal signing), so push checks, quotas, immutability and events apply exactly as to a
/// push over <c>/v2/</c>; reads the stored manifests and blobs directly (no pull gate: signature lookups are never
/// gated). Conditions are enforced inside the manifest transaction; the referrers API is always there.
/// </summary>
public sealed class RegistryArtifactSink(
    BlobService blobs, ManifestService manifests, IManifestReader manifestReader, IBlobReader blobReader, IManifestStore manifestStore, RegistryActor actor)
    : IArtifactSink
{
    public RegistryActor Actor { get; } = actor;

    public bool EnforcesConditions => true;

    public bool SupportsReferrers => true;

    public async Task PutBlobAsync(string repository, Digest digest, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        var name = RepositoryName.Parse(repository);
        try
        {
            // Already linked here: nothing to write (and no event or quota charge for a blob the repository holds).
            await blobReader.StatAsync(name, digest, ct).ConfigureAwait(false);
            return;
        }
        catch (OciException e) when (e.Error == OciErrors.BlobUnknown)
        {
        }
        using var stream = new MemoryStream(content.ToArray(), writable: false);
        await blobs.UploadMonolithicAsync(name, digest, stream, content.Length, Actor, ct).ConfigureAwait(false);
    }

    public async Task<Digest> PutManifestAsync(string repository, string reference, string mediaType, byte[] body, TagCondition? condition, CancellationToken ct)
    {
        try
        {
            var (digest, _) = await manifests.PutAsync(RepositoryName.Parse(repository), Reference.Parse(reference), body, mediaType, condition, Actor, ct).ConfigureAwait(false);
            return digest;
        }
        catch (OciException e) when (e.Error == OciErrors.PreconditionFailed)
        {
            throw new ArtifactConflictException(e.Detail ?? e.Message, e);
        }
    }

    public async Task<ArtifactManifest?> GetManifestAsync(string repository, string reference, CancellationToken ct)
    {
        var record = await manifestReader.GetAsync(RepositoryName.Parse(repository), Reference.Parse(reference), ct).ConfigureAwait(false);
        return record is null ? null : new ArtifactManifest(record.Digest, record.MediaType, record.Content);
    }

    public async Task<IReadOnlyList<ArtifactReferrer>> ListReferrersAsync(string repository, Digest subject, int max, CancellationToken ct)
    {
        var all = await manifestStore.ListReferrersAsync(RepositoryName.Parse(repository), subject, null, ct).ConfigureAwait(false);
        return all.Take(Math.Max(0, max)).Select(r => new ArtifactReferrer(r.Digest, r.MediaType, r.ArtifactType, r.Size)
        {
            Annotations = r.AnnotationsJson is { } json ? JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [] : [],
        }).ToList();
    }

    public async Task<byte[]> ReadBlobAsync(string repository, Digest digest, long maxBytes, CancellationToken ct)
    {
        var name = RepositoryName.Parse(repository);
        BlobInfo info;
        try
        {
            info = await blobReader.StatAsync(name, digest, ct).ConfigureAwait(false);
        }
        catch (OciException e) when (e.Error == OciErrors.BlobUnknown)
        {
            throw new FileNotFoundException($"blob {digest} is not in {repository}", e);
        }
        if (info.Size > maxBytes) throw new InvalidDataException($"blob {digest} is {info.Size} bytes, over the limit of {maxBytes}");
        var stream = await blobReader.OpenAsync(name, digest, null, ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            byte[] bytes = await BoundedReader.ReadAsync(stream, info.Size, (int)Math.Min(maxBytes, int.MaxValue), ct).ConfigureAwait(false);
            if (Digest.Compute(digest.Algorithm, bytes) != digest) throw new InvalidDataException($"blob {digest} does not match its digest");
            return bytes;
        }
    }
}

/// <summary>Makes a <see cref="RegistryArtifactSink"/> for the principal that signs (a singleton in the server).</summary>
public sealed class RegistryArtifactSinkFactory(BlobService blobs, ManifestService manifests, IManifestReader manifestReader, IBlobReader blobReader, IManifestStore manifestStore)
{
    public RegistryArtifactSink For(RegistryActor actor) => new(blobs, manifests, manifestReader, blobReader, manifestStore, actor);
}
