using Bollard.Core.Oci;

namespace Bollard.Core.Storage;

/// <summary>Reads of manifests, their references, tags and referrers of each repository. Changes go through <see cref="IMetadataStore"/>.</summary>
public interface IManifestStore
{
    ValueTask<ManifestRecord?> GetAsync(RepositoryName repository, Digest digest, CancellationToken ct);

    /// <returns>The manifest the tag points at, or null when there is no such tag.</returns>
    ValueTask<ManifestRecord?> GetByTagAsync(RepositoryName repository, string tag, CancellationToken ct);

    /// <summary>
    /// The reference check of a push, on a read connection and outside any write transaction (distribution
    /// B7: a manifest with many missing layers must not hold the writer). Same answer as
    /// <see cref="IMetadataReads.FindMissingReferencesAsync"/> at the moment it ran.
    /// </summary>
    ValueTask<ReferenceCheck> FindMissingReferencesAsync(RepositoryName repository, IReadOnlyCollection<Digest> blobs, IReadOnlyCollection<Digest> manifests, CancellationToken ct);

    /// <summary>
    /// As <see cref="IMetadataReads.FindReferencingManifestAsync"/>, on a read connection: a manifest of the repository
    /// (other than <paramref name="digest"/> itself) that references <paramref name="digest"/> as <paramref name="kind"/>,
    /// the lowest digest first; null when none does. The mirror asks it before fetching a blob it does not hold.
    /// </summary>
    ValueTask<Digest?> FindReferencingManifestAsync(RepositoryName repository, Digest digest, ReferenceKind kind, CancellationToken ct);

    /// <summary>Tags in lexical (ordinal) order after <paramref name="last"/>, at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<string>> ListTagsAsync(RepositoryName repository, string? last, int limit, CancellationToken ct);

    /// <summary>The most referrers one unpaged listing returns (<see cref="ListReferrersAsync(RepositoryName, Digest, string?, CancellationToken)"/>).</summary>
    public const int MaxReferrersListed = 10_000;

    /// <summary>
    /// A page of the manifests of the repository whose subject is <paramref name="subject"/>, oldest first (then by
    /// digest): at most <paramref name="limit"/> of them, after the referrer <paramref name="after"/> (exclusive; a digest
    /// that is not a referrer of the subject gives an empty page). Bounded so that an image with 10,000 referrers costs
    /// a bounded query per request.
    /// </summary>
    ValueTask<IReadOnlyList<ReferrerRecord>> ListReferrersAsync(RepositoryName repository, Digest subject, string? artifactType, Digest? after, int limit, CancellationToken ct);

    /// <summary>The first <see cref="MaxReferrersListed"/> referrers of <paramref name="subject"/>, oldest first.</summary>
    ValueTask<IReadOnlyList<ReferrerRecord>> ListReferrersAsync(RepositoryName repository, Digest subject, string? artifactType, CancellationToken ct) =>
        ListReferrersAsync(repository, subject, artifactType, null, MaxReferrersListed, ct);
}
