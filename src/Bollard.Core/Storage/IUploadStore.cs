namespace Bollard.Core.Storage;

/// <summary>Which repository owns which upload session, and when each was last touched (for expiry).</summary>
public interface IUploadStore
{
    ValueTask CreateAsync(UploadRecord upload, CancellationToken ct);

    /// <returns>null when there is no such upload.</returns>
    ValueTask<UploadRecord?> GetAsync(string id, CancellationToken ct);

    ValueTask TouchAsync(string id, DateTimeOffset now, CancellationToken ct);

    ValueTask DeleteAsync(string id, CancellationToken ct);

    ValueTask<IReadOnlyList<UploadRecord>> ListAsync(CancellationToken ct);
}
