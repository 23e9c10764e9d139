namespace Bollard.Trust.Policy;

/// <summary>A stored policy at one of its versions.</summary>
/// <param name="Version">Increases with every change of the policy (shown with each decision).</param>
public sealed record VersionedTrustPolicy(TrustPolicy Policy, long Version);

/// <summary>
/// Where the engine reads policies from: the server's policy store (few rows, read whole; the implementation may cache
/// them and must call <see cref="TrustEngine.InvalidateAll"/> after a change). Thread-safe.
/// </summary>
public interface ITrustPolicySource
{
    /// <summary>The current version of every stored policy (any order; <see cref="TrustPolicySelector"/> picks the one that applies).</summary>
    Task<IReadOnlyList<VersionedTrustPolicy>> ListAsync(CancellationToken ct);
}
