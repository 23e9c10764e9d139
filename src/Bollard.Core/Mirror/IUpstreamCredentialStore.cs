namespace Bollard.Core.Mirror;

/// <summary>
/// Credentials an admin stored for an upstream at runtime (<c>bollard mirror login</c>), as a row: only sealed
/// (<see cref="UpstreamCredentialSeal"/>, under the server's key-encryption key file, which is not in the database).
/// </summary>
/// <param name="Upstream">The upstream's name (<see cref="UpstreamOptions.Name"/>); the associated data of the seal.</param>
/// <param name="Sealed">The user name and password, sealed.</param>
/// <param name="UpdatedBy">The admin who stored them.</param>
public sealed record StoredUpstreamCredential(string Upstream, byte[] Sealed, string UpdatedBy, DateTimeOffset UpdatedAt);

/// <summary>The metadata backend's table of <see cref="StoredUpstreamCredential"/>s, one row per upstream name.</summary>
public interface IUpstreamCredentialStore
{
    Task<StoredUpstreamCredential?> GetAsync(string upstream, CancellationToken ct);

    /// <summary>Every stored row (one per upstream name: a handful), for listings.</summary>
    Task<IReadOnlyList<StoredUpstreamCredential>> ListAsync(CancellationToken ct);

    /// <summary>Inserts or replaces the upstream's row.</summary>
    Task PutAsync(StoredUpstreamCredential credential, CancellationToken ct);

    /// <returns>Whether there was a row.</returns>
    Task<bool> DeleteAsync(string upstream, CancellationToken ct);
}
