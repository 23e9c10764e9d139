using Bollard.Core.Auth;

namespace Bollard.Core.Usage.Quotas;

/// <summary>
/// Quotas per namespace pattern. A quota's usage is kept like a namespace's (<see cref="IUsageStore"/>): setting a new
/// pattern counts what its repositories hold once (from the metadata, on the writer), then keeps it incrementally.
/// </summary>
public interface IQuotaStore
{
    /// <summary>Every quota, by pattern in ordinal order.</summary>
    ValueTask<IReadOnlyList<Quota>> ListAsync(CancellationToken ct);

    /// <summary>Creates the quota or changes its limit.</summary>
    /// <returns>true when it was created.</returns>
    ValueTask<bool> SetAsync(NamespacePattern pattern, long limitBytes, CancellationToken ct);

    /// <returns>false when there was no such quota.</returns>
    ValueTask<bool> RemoveAsync(NamespacePattern pattern, CancellationToken ct);
}
