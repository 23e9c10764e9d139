namespace Bollard.Core.Registry.Hooks;

/// <summary>
/// Decides whether a manifest may be served (the trust-policy engine plugs in here). Called by
/// <see cref="ManifestService.GetAsync"/> for GET and HEAD of a manifest, after it is found and before anything
/// of it is returned; a deny becomes <c>DENIED</c> (403) with the reasons. One is registered
/// (<see cref="AllowAllPullGate"/> by default); a feature replaces it.
/// </summary>
/// <remarks>
/// Not gated, so that a client can always find out why an image is refused or verify it: the referrers API,
/// manifests that have a <c>subject</c> (signatures, SBOMs, attestations are artifacts about another manifest),
/// and tags of the cosign tag scheme (<c>sha256-&lt;hex&gt;.sig</c>, <c>.att</c>, <c>.sbom</c>). Blobs are not
/// gated either: a blob is reachable only through a manifest the gate allowed, or by a digest the caller already knows.
/// </remarks>
public interface IPullGate
{
    ValueTask<PullDecision> DecideAsync(PullGateContext context, CancellationToken ct);
}
