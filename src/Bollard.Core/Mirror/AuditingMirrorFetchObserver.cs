using Bollard.Core.Auth;
using Bollard.Core.Registry;

namespace Bollard.Core.Mirror;

/// <summary>
/// Writes one <c>mirror.fetch</c> audit entry per upstream fetch (issue 10: "audit records who pulled what through the
/// mirror"): the principal and client address that caused it, the mirrored repository and the tag or digest, and in
/// the detail what was fetched from which upstream repository (and why it failed). Registered when access control is
/// on; the recorder queues in memory, so this never blocks a pull.
/// </summary>
public sealed class AuditingMirrorFetchObserver(AuditRecorder audit) : IMirrorFetchObserver
{
    public const string Action = "mirror.fetch";

    public void Fetched(RegistryActor actor, MirrorRoute route, string kind, string reference, string? failure)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(route);
        string detail = $"{kind} from {route}" + (failure is null ? "" : $": {failure}");
        audit.Record(actor.Principal, actor.ClientAddress, Action, failure is null ? "success" : "failure", route.Local.Value, reference, detail);
    }
}
