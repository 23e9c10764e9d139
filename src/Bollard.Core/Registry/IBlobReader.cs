using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Core.Registry;

/// <summary>
/// The read side of blobs that <c>/v2/&lt;name&gt;/blobs/&lt;digest&gt;</c> serves from: the seam a pull-through
/// mirror decorates, as <see cref="IManifestReader"/> is for manifests (distribution's <c>proxyblobstore</c> wraps
/// the local blob store the same way). The default is <see cref="StoredBlobReader"/>; a decorator is registered
/// over it and, on a miss, fetches from the upstream while storing through the normal upload path. Every call
/// names the repository, so a decorator knows which upstream to ask and scoping is never bypassed.
/// </summary>
public interface IBlobReader
{
    /// <exception cref="OciException"><c>BLOB_UNKNOWN</c> when the repository does not hold the blob.</exception>
    Task<BlobInfo> StatAsync(RepositoryName repository, Digest digest, CancellationToken ct);

    /// <summary>
    /// Opens a blob the caller has just <see cref="StatAsync"/>ed in <paramref name="repository"/>, whole or the
    /// <paramref name="range"/> of it. The stream is forward-only; its length is never asked.
    /// </summary>
    /// <exception cref="OciException"><c>BLOB_UNKNOWN</c> when the blob is gone (deleted since the stat).</exception>
    Task<Stream> OpenAsync(RepositoryName repository, Digest digest, ByteRange? range, CancellationToken ct);

    /// <returns>Where the client may fetch the blob directly (307), or null to stream it through Bollard.</returns>
    Task<Uri?> GetRedirectUriAsync(RepositoryName repository, Digest digest, CancellationToken ct);

    /// <summary>As <see cref="StatAsync(RepositoryName, Digest, CancellationToken)"/>, for a client's pull (see <see cref="IManifestReader"/>).</summary>
    Task<BlobInfo> StatAsync(RepositoryName repository, Digest digest, RegistryActor actor, CancellationToken ct) => StatAsync(repository, digest, ct);

    /// <summary>As <see cref="OpenAsync(RepositoryName, Digest, ByteRange?, CancellationToken)"/>, for a client's pull.</summary>
    Task<Stream> OpenAsync(RepositoryName repository, Digest digest, ByteRange? range, RegistryActor actor, CancellationToken ct) =>
        OpenAsync(repository, digest, range, ct);
}
