namespace Bollard.Core.Auth;

/// <summary>Token signing keys, so that tokens survive restarts and every node shares the same keys.</summary>
public interface ISigningKeyStore
{
    /// <summary>All keys, newest first.</summary>
    ValueTask<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken ct);
    ValueTask AddAsync(SigningKeyRecord key, CancellationToken ct);
    /// <summary>Retires every active key other than <paramref name="keepKeyId"/>.</summary>
    ValueTask RetireOthersAsync(string keepKeyId, DateTimeOffset now, CancellationToken ct);
}
