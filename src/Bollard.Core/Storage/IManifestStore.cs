using Bollard.Core.Oci;

namespace Bollard.Core.Storage;

/// <summary>Manifests, their references, tags and referrers of each repository.</summary>
public interface IManifestStore
{
    ValueTask<ManifestRecord?> GetAsync(RepositoryName repository, Digest digest, CancellationToken ct);

    /// <returns>The manifest the tag points at, or null when there is no such tag.</returns>
    ValueTask<ManifestRecord?> GetByTagAsync(RepositoryName repository, string tag, CancellationToken ct);

    /// <summary>
    /// In one transaction: checks that every required blob is linked into and every required child manifest
    /// exists in the repository, and only then stores the manifest, its references, its subject and the tag
    /// (moving the tag if it existed). Durable on return when it succeeded; nothing is written when it did not.
    /// </summary>
    ValueTask<PutManifestResult> PutAsync(
        RepositoryName repository,
        ManifestRecord manifest,
        IReadOnlyCollection<Digest> requiredBlobs,
        IReadOnlyCollection<Digest> requiredManifests,
        string? tag,
        CancellationToken ct);

    /// <summary>Deletes a manifest, its references and every tag that points at it.</summary>
    /// <returns>false when it did not exist.</returns>
    ValueTask<bool> DeleteAsync(RepositoryName repository, Digest digest, CancellationToken ct);

    /// <returns>false when the tag did not exist.</returns>
    ValueTask<bool> DeleteTagAsync(RepositoryName repository, string tag, CancellationToken ct);

    /// <summary>Tags in lexical (ordinal) order after <paramref name="last"/>, at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<string>> ListTagsAsync(RepositoryName repository, string? last, int limit, CancellationToken ct);

    /// <summary>Manifests of the repository whose subject is <paramref name="subject"/>, oldest first.</summary>
    ValueTask<IReadOnlyList<ReferrerRecord>> ListReferrersAsync(RepositoryName repository, Digest subject, string? artifactType, CancellationToken ct);
}
