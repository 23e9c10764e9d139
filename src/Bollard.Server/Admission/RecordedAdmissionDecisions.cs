using Bollard.Core.Oci;
using Bollard.Server.Trust;
using Bollard.Trust.Policy;

namespace Bollard.Server.Admission;

/// <summary>
/// The engine as admission asks it, with every decision handed to the <see cref="DecisionRecorder"/>, as the pull gate does:
/// admission decisions appear in <c>/api/v1/decisions</c>, and violations are audited and sent as <c>PolicyViolation</c>
/// (bounded by the recorder's repeat interval). The caller is the Kubernetes API server, recorded as <see cref="Principal"/>.
/// </summary>
public sealed class RecordedAdmissionDecisions(ITrustDecisions inner, DecisionRecorder recorder) : ITrustDecisions
{
    public const string Principal = "kubernetes-admission";

    public async ValueTask<PolicyDecision> DecideAsync(RepositoryName repository, Digest digest, DecisionPoint point, CancellationToken ct)
    {
        var decision = await inner.DecideAsync(repository, digest, point, ct).ConfigureAwait(false);
        recorder.Record(decision, point, Principal, "");
        return decision;
    }
}
