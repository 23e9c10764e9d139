using Bollard.Core.Oci;

namespace Bollard.Core.Retention;

/// <summary>Last-pull times of tags and manifests, written in batches by <see cref="PullTimeRecorder"/>. Thread-safe.</summary>
public interface IPullTimeStore
{
    /// <summary>Stores a batch in one transaction; a time older than the one stored is ignored; pulls of a repository
    /// that no longer exists are dropped. Idempotent.</summary>
    ValueTask StoreAsync(IReadOnlyCollection<PullTime> pulls, CancellationToken ct);

    /// <summary>Every tag of the repository with its push and pull times, in ordinal order of the tag.</summary>
    ValueTask<IReadOnlyList<TagTimes>> ListTagTimesAsync(RepositoryName repository, CancellationToken ct);

    /// <summary>
    /// The manifests of the repository that no tag names, no index of it references and that have no subject (images
    /// pulled only by digest, never tagged), with when they were stored and last pulled: an index counts as pulled when
    /// it or one of its platform manifests was. What tag-based retention never sees (mirror eviction, issue 10).
    /// </summary>
    ValueTask<IReadOnlyList<ManifestTimes>> ListUntaggedManifestTimesAsync(RepositoryName repository, CancellationToken ct);
}
