namespace Bollard.Core.Storage;

/// <summary>Which repository owns which upload session, and when each was last touched (for expiry).</summary>
public interface IUploadStore
{
    ValueTask CreateAsync(UploadRecord upload, CancellationToken ct);

    /// <summary>
    /// Creates the session only while its owner has fewer than <paramref name="maxOpenPerOwner"/> open sessions;
    /// the count and the insert are one atomic step, so concurrent requests cannot overshoot the cap.
    /// </summary>
    /// <returns>false (and nothing created) when the owner is at the cap.</returns>
    ValueTask<bool> TryCreateAsync(UploadRecord upload, int maxOpenPerOwner, CancellationToken ct);

    /// <returns>null when there is no such upload.</returns>
    ValueTask<UploadRecord?> GetAsync(string id, CancellationToken ct);

    ValueTask TouchAsync(string id, DateTimeOffset now, CancellationToken ct);

    ValueTask DeleteAsync(string id, CancellationToken ct);

    ValueTask<IReadOnlyList<UploadRecord>> ListAsync(CancellationToken ct);

    /// <returns>How many upload sessions <paramref name="owner"/> has open.</returns>
    ValueTask<int> CountByOwnerAsync(string owner, CancellationToken ct);
}
