using Bollard.Core.Events;
using Bollard.Core.Oci;

namespace Bollard.Core.Storage;

/// <summary>
/// One unit of work of <see cref="IMetadataStore"/>: reads that see its own writes, writes, and the events that go
/// with them. Nothing is visible to others before <see cref="CommitAsync"/>, which makes it all durable at once;
/// disposing without committing rolls everything back. Not thread-safe: one caller uses it at a time.
/// The writes are plain row moves: they check nothing (registry rules are the caller's), except that a manifest,
/// tag or link needs its repository (<see cref="EnsureRepositoryAsync"/>).
/// </summary>
public interface IMetadataTransaction : IMetadataReads, IAsyncDisposable
{
    /// <returns>true when the repository was created by this call.</returns>
    ValueTask<bool> EnsureRepositoryAsync(RepositoryName repository, CancellationToken ct);

    /// <returns>true when the blob was newly linked; false when it already was (idempotent).</returns>
    ValueTask<bool> LinkBlobAsync(RepositoryName repository, Digest digest, long size, CancellationToken ct);

    /// <summary>Removes a link and increases the repository's generation.</summary>
    /// <returns>false when the blob was not linked.</returns>
    ValueTask<bool> UnlinkBlobAsync(RepositoryName repository, Digest digest, CancellationToken ct);

    /// <summary>Stores the manifest with its references (kept for reference checks and deletes).</summary>
    /// <returns>true when inserted; false when the repository already had it (nothing changes, idempotent).</returns>
    ValueTask<bool> PutManifestAsync(RepositoryName repository, ManifestRecord manifest, IReadOnlyCollection<Digest> blobs, IReadOnlyCollection<Digest> manifests, CancellationToken ct);

    /// <summary>Points the tag at a manifest of the repository, creating or moving it.</summary>
    ValueTask SetTagAsync(RepositoryName repository, string tag, Digest manifest, CancellationToken ct);

    /// <returns>false when the tag did not exist.</returns>
    ValueTask<bool> DeleteTagAsync(RepositoryName repository, string tag, CancellationToken ct);

    /// <summary>Deletes a manifest, its references and every tag on it, and increases the repository's generation.</summary>
    /// <returns>false when it did not exist.</returns>
    ValueTask<bool> DeleteManifestAsync(RepositoryName repository, Digest digest, CancellationToken ct);

    /// <summary>
    /// Removes the repository row and whatever is still in it (links, manifests, tags), so that it no longer exists
    /// (the catalog stops listing it). Registry logic deletes the contents first, with their events and checks.
    /// </summary>
    /// <returns>false when it did not exist.</returns>
    ValueTask<bool> DeleteRepositoryAsync(RepositoryName repository, CancellationToken ct);

    /// <summary>Appends an event to the outbox; it becomes visible to the dispatcher when the transaction commits.</summary>
    /// <returns>The event's sequence number: increasing in commit order, never reused (gaps are allowed).</returns>
    ValueTask<long> AppendEventAsync(RegistryEvent registryEvent, CancellationToken ct);

    /// <summary>Makes every write durable (on disk when it returns). Call at most once.</summary>
    ValueTask CommitAsync(CancellationToken ct);
}
