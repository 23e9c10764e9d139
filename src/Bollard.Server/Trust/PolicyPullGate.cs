using System.Text;
using Bollard.Core.Oci;
using Bollard.Core.Registry.Hooks;
using Bollard.Trust.Policy;

namespace Bollard.Server.Trust;

/// <summary>
/// The pull gate of trust policies (enforcement point 1): a manifest pull in a namespace with an enforcing policy that
/// the image violates is refused (<c>DENIED</c>, 403, the reasons in the error detail); in warn mode it is served, and
/// the violation is logged, audited and sent as a <c>PolicyViolation</c> event (<see cref="DecisionRecorder"/>, bounded
/// per image and interval). What <see cref="IPullGate"/> leaves ungated (referrers, manifests with a subject, cosign
/// tags) never reaches here; cosign signature and attestation manifests fetched by digest are let through as well, so
/// that a client can always verify an image (and sign it after the push).
/// </summary>
public sealed class PolicyPullGate(ITrustDecisions decisions, DecisionRecorder recorder) : IPullGate
{
    private static readonly byte[][] SignatureLayerTypes =
    [
        Encoding.UTF8.GetBytes("application/vnd.dev.cosign.simplesigning.v1+json"),
        Encoding.UTF8.GetBytes("application/vnd.dsse.envelope.v1+json"),
    ];

    public async ValueTask<PullDecision> DecideAsync(PullGateContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (IsSignatureManifest(context.Manifest.Content, context.Manifest.MediaType)) return PullDecision.Allow;
        var decision = await decisions.DecideAsync(context.Repository, context.Manifest.Digest, DecisionPoint.Pull, ct).ConfigureAwait(false);
        recorder.Record(decision, DecisionPoint.Pull, context.Actor.Principal, context.Actor.ClientAddress);
        if (!decision.Allowed)
            return new PullDecision(false, [$"trust policy {decision.Policy} v{decision.PolicyVersion} ({DecisionRecorder.ModeName(decision.Mode)})", .. decision.Violations]);
        return decision.Violated ? new PullDecision(true, decision.Violations) : PullDecision.Allow;
    }

    /// <summary>A cosign <c>.sig</c> / <c>.att</c> manifest: every layer is a simple-signing payload or a DSSE envelope.</summary>
    internal static bool IsSignatureManifest(byte[] content, string mediaType)
    {
        if (!SignatureLayerTypes.Any(t => content.AsSpan().IndexOf(t) >= 0)) return false;
        try
        {
            var parsed = ManifestParser.Parse(content, mediaType);
            return !parsed.IsIndex && parsed.Layers.Count > 0
                && parsed.Layers.All(l => l.MediaType is "application/vnd.dev.cosign.simplesigning.v1+json" or "application/vnd.dsse.envelope.v1+json");
        }
        catch (OciException)
        {
            return false;
        }
    }
}
