using Bollard.Core.Oci;

namespace Bollard.Trust.Policy;

/// <summary>
/// The one policy engine behind the three enforcement points (the pull gate, the admission webhook, <c>bollard policy
/// test</c> through the API). Decisions are cached per (repository, digest) and dropped when the image's signatures,
/// findings, the policy or the exceptions change. Thread-safe.
/// </summary>
public interface ITrustDecisions
{
    /// <summary>The decision for an image manifest (or index) held by <paramref name="repository"/>.</summary>
    ValueTask<PolicyDecision> DecideAsync(RepositoryName repository, Digest digest, DecisionPoint point, CancellationToken ct);
}
