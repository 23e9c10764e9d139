using Bollard.Core.Oci;

namespace Bollard.Core.Usage;

/// <summary>
/// Storage usage, kept incrementally by the backend in the same transactions that link and unlink blobs and store and
/// delete manifests (SQLite: triggers of <c>0050_usage.sql</c>), so every read is a lookup, never a recount.
/// </summary>
public interface IUsageStore
{
    /// <returns>null when the repository does not exist.</returns>
    ValueTask<StorageUsage?> GetRepositoryAsync(RepositoryName repository, CancellationToken ct);

    /// <summary>Every namespace (<see cref="UsageNamespaces"/>) that has a repository, in ordinal order.</summary>
    ValueTask<IReadOnlyList<NamespaceUsage>> ListNamespacesAsync(CancellationToken ct);

    /// <summary>The whole registry (its unique bytes equal its total).</summary>
    ValueTask<StorageUsage> GetRegistryAsync(CancellationToken ct);
}
