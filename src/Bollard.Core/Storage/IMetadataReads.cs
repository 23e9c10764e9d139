using Bollard.Core.Oci;

namespace Bollard.Core.Storage;

/// <summary>
/// The reads registry logic needs to decide a change, answered inside the change's transaction (so they see its
/// own uncommitted writes and no concurrent change can invalidate them before commit). Push checks receive it.
/// </summary>
public interface IMetadataReads
{
    ValueTask<bool> RepositoryExistsAsync(RepositoryName repository, CancellationToken ct);

    /// <summary>The repository's removal generation (see <see cref="ReferenceCheck.Generation"/>); 0 when it does not exist.</summary>
    ValueTask<long> GenerationAsync(RepositoryName repository, CancellationToken ct);

    /// <summary>Which of <paramref name="blobs"/> are not linked into, and which of <paramref name="manifests"/> are not stored in, the repository.</summary>
    ValueTask<ReferenceCheck> FindMissingReferencesAsync(RepositoryName repository, IReadOnlyCollection<Digest> blobs, IReadOnlyCollection<Digest> manifests, CancellationToken ct);

    ValueTask<bool> IsBlobLinkedAsync(RepositoryName repository, Digest digest, CancellationToken ct);

    ValueTask<bool> ManifestExistsAsync(RepositoryName repository, Digest digest, CancellationToken ct);

    /// <returns>The digest the tag points at, or null when there is no such tag.</returns>
    ValueTask<Digest?> GetTagAsync(RepositoryName repository, string tag, CancellationToken ct);

    /// <summary>The tags that point at the manifest, in ordinal order.</summary>
    ValueTask<IReadOnlyList<string>> ListTagsOfAsync(RepositoryName repository, Digest manifest, CancellationToken ct);

    /// <returns>A manifest of the repository (other than <paramref name="digest"/> itself) that references
    /// <paramref name="digest"/> as <paramref name="kind"/>, the lowest digest first; null when none does.</returns>
    ValueTask<Digest?> FindReferencingManifestAsync(RepositoryName repository, Digest digest, ReferenceKind kind, CancellationToken ct);

    /// <summary>Digests of the repository's manifests in ordinal order after <paramref name="after"/> (null: from the start), at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<Digest>> ListManifestsAsync(RepositoryName repository, Digest? after, int limit, CancellationToken ct);

    /// <summary>Digests of the blobs linked into the repository in ordinal order after <paramref name="after"/> (null: from the start), at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<Digest>> ListBlobLinksAsync(RepositoryName repository, Digest? after, int limit, CancellationToken ct);

    /// <summary>The quotas whose pattern matches the repository (also one that does not exist yet), with their usage as this transaction sees it.</summary>
    ValueTask<IReadOnlyList<Usage.Quotas.Quota>> QuotasOfAsync(RepositoryName repository, CancellationToken ct);
}
