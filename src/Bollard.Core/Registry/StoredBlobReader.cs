using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Core.Registry;

/// <summary>Blobs as this registry stores them: visible in a repository only when linked into it.</summary>
public sealed class StoredBlobReader(IBlobStore blobs, IRepositoryStore repositories) : IBlobReader
{
    public async Task<BlobInfo> StatAsync(RepositoryName repository, Digest digest, CancellationToken ct)
    {
        if (!await repositories.IsBlobLinkedAsync(repository, digest, ct).ConfigureAwait(false))
            throw new OciException(OciErrors.BlobUnknown, digest.ToString());
        return await blobs.StatAsync(digest, ct).ConfigureAwait(false)
            ?? throw new OciException(OciErrors.BlobUnknown, digest.ToString());
    }

    public async Task<Stream> OpenAsync(RepositoryName repository, Digest digest, ByteRange? range, CancellationToken ct) =>
        await blobs.OpenReadAsync(digest, range, ct).ConfigureAwait(false)
            ?? throw new OciException(OciErrors.BlobUnknown, digest.ToString());

    public async Task<Uri?> GetRedirectUriAsync(RepositoryName repository, Digest digest, CancellationToken ct) =>
        await blobs.GetRedirectUriAsync(digest, ct).ConfigureAwait(false);
}
