using Bollard.Core.Oci;

namespace Bollard.Core.Scanning.Pipeline;

/// <summary>
/// Scan state, stored inventories, the package index and findings, all keyed by image manifest digest (an image held
/// by several repositories is scanned and stored once). Each method is one short transaction; thread-safe. Rows of a
/// digest no repository holds any more are removed by <see cref="ForgetIfUnreferencedAsync"/> (the scan subscriber calls
/// it for every <c>ManifestDeleted</c>), and every read that names a repository joins the manifests it holds, so a
/// deleted image is never shown.
/// </summary>
public interface IScanStore
{
    /// <returns>null when the digest was never queued.</returns>
    Task<ImageScan?> GetAsync(string digest, CancellationToken ct);

    /// <summary>Marks the digest queued by <paramref name="jobId"/>; its stored inventory and findings (of an earlier scan) stay until replaced.</summary>
    Task MarkQueuedAsync(string digest, long jobId, DateTimeOffset now, CancellationToken ct);

    Task MarkRunningAsync(string digest, long jobId, DateTimeOffset now, CancellationToken ct);

    /// <summary>The attempt failed with <paramref name="reason"/>; a retry marks it running again, and earlier results stay stored.</summary>
    Task MarkFailedAsync(string digest, string reason, DateTimeOffset now, CancellationToken ct);

    /// <summary>Not an image (or an index): nothing is stored but the state and the reason.</summary>
    Task MarkSkippedAsync(string digest, string reason, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// Stores a finished scan in one transaction: the inventory (replacing an earlier one), its package index, the findings
    /// and the state <see cref="ScanState.Done"/> matched at <paramref name="advisoryGeneration"/>.
    /// </summary>
    /// <param name="size">The size report made with the inventory; null keeps the stored one (a re-used inventory).</param>
    Task SaveScanAsync(ImageInventory inventory, ImageSizeReport? size, IReadOnlyList<Finding> findings, string? advisoryGeneration, DateTimeOffset now, CancellationToken ct);

    /// <returns>null when no size report is stored for the digest.</returns>
    Task<ImageSizeReport?> GetSizeReportAsync(string digest, CancellationToken ct);

    /// <summary>Adds warnings met after the inventory (an SBOM referrer refused) to the scan state's warnings.</summary>
    Task AddWarningsAsync(string digest, IReadOnlyList<string> warnings, CancellationToken ct);

    /// <summary>Replaces the findings of a re-matched image (its inventory is unchanged); does nothing when the digest has no inventory any more.</summary>
    /// <returns>false when the image has no stored inventory (deleted meanwhile).</returns>
    Task<bool> SaveFindingsAsync(string digest, IReadOnlyList<Finding> findings, string? advisoryGeneration, DateTimeOffset now, CancellationToken ct);

    /// <returns>null when no inventory is stored for the digest.</returns>
    Task<ImageInventory?> GetInventoryAsync(string digest, CancellationToken ct);

    /// <summary>The stored findings (as matched: <see cref="FindingStatus.Affected"/> or <see cref="FindingStatus.Unfixed"/>).</summary>
    Task<IReadOnlyList<Finding>> GetFindingsAsync(string digest, CancellationToken ct);

    /// <summary>
    /// The digests of stored inventories holding a package with one of <paramref name="keys"/> (package-URL type and the
    /// name as advisories key it: the package's name or, for OS packages, its source package), from the package index.
    /// </summary>
    Task<IReadOnlyList<string>> FindImagesWithPackagesAsync(IReadOnlyCollection<(string Type, string Name)> keys, CancellationToken ct);

    /// <summary>Digests of stored inventories after <paramref name="after"/> in ordinal order, at most <paramref name="limit"/> (a full re-match walks them).</summary>
    Task<IReadOnlyList<string>> ListInventoriesAsync(string? after, int limit, CancellationToken ct);

    /// <summary>Removes the state, inventory, package index and findings of <paramref name="digest"/> when no repository holds a manifest with it.</summary>
    /// <returns>true when it removed them.</returns>
    Task<bool> ForgetIfUnreferencedAsync(string digest, CancellationToken ct);

    /// <summary>
    /// Which repositories and images hold the package (every version unless <see cref="PackageQuery.Version"/> is set):
    /// one page of at most <see cref="PackageQuery.Limit"/> hits after <see cref="PackageQuery.After"/>, in
    /// <see cref="PackageHit.Cursor"/> order (stable: rows added later come after), so a caller that filters the rows
    /// (by access) can walk them all.
    /// </summary>
    Task<IReadOnlyList<PackageHit>> FindPackagesAsync(PackageQuery query, CancellationToken ct);

    /// <summary>The image manifests and indexes of a repository with their tags and scan states.</summary>
    Task<IReadOnlyList<RepositoryImage>> ListRepositoryImagesAsync(RepositoryName repository, CancellationToken ct);

    /// <summary>The repositories holding a manifest with <paramref name="digest"/>, in ordinal order.</summary>
    Task<IReadOnlyList<RepositoryName>> RepositoriesOfAsync(string digest, CancellationToken ct);

    /// <summary>Which of <paramref name="layers"/> a manifest other than <paramref name="digest"/> also references (in any repository): the shared, base-image share of the size report.</summary>
    Task<IReadOnlySet<string>> SharedLayersAsync(string digest, IReadOnlyCollection<string> layers, CancellationToken ct);
}
