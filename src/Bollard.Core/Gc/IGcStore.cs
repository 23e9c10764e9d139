using Bollard.Core.Oci;

namespace Bollard.Core.Gc;

/// <summary>
/// The metadata garbage collection decides on, and the blob state it moves (never blob bytes). Reads run on a read
/// connection (a snapshot; pushes go on); each write is one short transaction. Links and manifests are changed
/// through <c>IMetadataTransaction</c> (with their events), not here.
/// </summary>
public interface IGcStore
{
    /// <summary>How many manifests and blobs exist (for progress).</summary>
    ValueTask<(long Manifests, long Blobs)> CountAsync(CancellationToken ct);

    /// <summary>The repository's manifests (tags, subject, children, blobs) and links, read at one moment.</summary>
    ValueTask<GcRepositorySnapshot> LoadRepositoryAsync(RepositoryName repository, CancellationToken ct);

    /// <summary>Blobs that no repository links and GC has not marked, in digest order after <paramref name="after"/>.</summary>
    ValueTask<IReadOnlyList<GcBlob>> ListUnlinkedAsync(Digest? after, int limit, CancellationToken ct);

    /// <summary>The blobs of <paramref name="digests"/> that have a row.</summary>
    ValueTask<IReadOnlyList<GcBlob>> GetBlobsAsync(IReadOnlyCollection<Digest> digests, CancellationToken ct);

    /// <summary>Expired pins (their linker died) are removed, and their digests get a blob row if they have none, so the bytes a dead linker may have left become candidates.</summary>
    /// <returns>How many pins were removed.</returns>
    ValueTask<int> AdoptExpiredPinsAsync(CancellationToken ct);

    /// <summary>
    /// In one transaction, marks 'deleting' those of <paramref name="digests"/> that still have no link and no live
    /// pin. From then on no link or pin of them is possible until <see cref="ForgetAsync"/>.
    /// </summary>
    /// <returns>The blobs marked (delete their bytes, then forget them).</returns>
    ValueTask<IReadOnlyList<GcBlob>> MarkDeletingAsync(IReadOnlyCollection<Digest> digests, CancellationToken ct);

    /// <summary>Blobs marked 'deleting' (left by a run that crashed between marking and forgetting).</summary>
    ValueTask<IReadOnlyList<GcBlob>> ListDeletingAsync(int limit, CancellationToken ct);

    /// <summary>Removes the rows of blobs marked 'deleting' whose bytes are gone.</summary>
    ValueTask ForgetAsync(IReadOnlyCollection<Digest> digests, CancellationToken ct);
}
