using Bollard.Core.Oci;

namespace Bollard.Core.Registry.Hooks;

/// <summary>
/// Where the signatures of a repository's images come from, when that is not only this registry: a mirrored repository
/// (<c>mirror/docker.io/library/alpine</c>) holds images signed upstream, whose cosign payloads name the upstream's
/// repository (<c>index.docker.io/library/alpine</c>), and whose signatures may not be cached yet when the first pull is
/// decided. Trust verification asks this seam for both. At most one is registered; none means "only this registry".
/// </summary>
public interface ISignatureOrigin
{
    /// <summary>Repository names, besides <paramref name="repository"/> itself, that a signature of its images may name.</summary>
    IReadOnlyList<string> SignedNames(RepositoryName repository);

    /// <summary>
    /// Brings the signatures and referrers of <paramref name="subject"/> into the store from where the repository comes
    /// from, before a trust decision reads the store. Bounded in time; never throws for an upstream failure (the decision
    /// then sees what is cached); a no-op for a repository that comes from nowhere else.
    /// </summary>
    Task BringSignaturesAsync(RepositoryName repository, Digest subject, CancellationToken ct);
}
