namespace Bollard.Core.Usage;

/// <summary>
/// The storage a repository, a namespace or a quota's pattern holds, from the metadata (never by walking the blob
/// folder). A blob counts with its size once per scope however many of the scope's repositories link it; a
/// manifest counts with its size in every repository that stores it (its bytes are stored per repository).
/// </summary>
/// <param name="TotalBytes">Everything the scope holds: its distinct linked blobs (shared or not) plus its manifests.</param>
/// <param name="UniqueBytes">What deleting the scope would free: its manifests plus the blobs no repository outside it links.</param>
/// <param name="ManifestBytes">The part of both that is manifests.</param>
/// <param name="Manifests">How many manifests the scope's repositories store.</param>
/// <param name="Blobs">How many distinct blobs they link.</param>
public sealed record StorageUsage(long TotalBytes, long UniqueBytes, long ManifestBytes, long Manifests, long Blobs)
{
    public static StorageUsage Empty { get; } = new(0, 0, 0, 0, 0);
}
