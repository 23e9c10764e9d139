using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Registry.Hooks;

namespace Bollard.Core.Usage.Quotas;

/// <summary>
/// Refuses a manifest push that would take any quota matching the repository over its limit (every matching quota
/// applies): usage after the push is what the quota's repositories hold now (their blobs were linked by the uploads
/// before the manifest) plus the new manifest's bytes. A push of a manifest the repository already stores adds
/// nothing and is never refused (retagging stays possible over quota); deletes are never refused. The refusal is
/// <c>DENIED</c> with "quota 10 GiB for team-a/** exceeded: 10.4 GiB after this push", and a
/// <see cref="RegistryEventKind.QuotaExceeded"/> event is appended once the push has rolled back (<see cref="QuotaExceededOutbox"/>).
/// </summary>
public sealed class QuotaPushCheck(QuotaExceededOutbox events, TimeProvider time) : IPushCheck
{
    public async ValueTask<PushCheckResult> CheckAsync(PushCheckContext context, CancellationToken ct)
    {
        if (context.Change != RegistryChange.PutManifest || context.ManifestExisted) return PushCheckResult.Allow;
        foreach (var quota in await context.Reads.QuotasOfAsync(context.Repository, ct).ConfigureAwait(false))
        {
            long after = quota.Usage.TotalBytes + context.ManifestSize;
            if (after <= quota.LimitBytes) continue;
            string message = $"quota {ByteSize.Format(quota.LimitBytes)} for {quota.Pattern} exceeded: {ByteSize.Format(after, roundUp: true)} after this push";
            events.Enqueue(RegistryWrites.Event(RegistryEventKind.QuotaExceeded, context.Repository, context.Actor, time.GetUtcNow()) with
            {
                Digest = context.Digest, Tag = context.Tag, Size = after, Detail = message,
            });
            // In the message too, not only the detail: Docker and containers/image show only the message.
            return PushCheckResult.Refuse(message, OciErrors.Denied with { Message = message });
        }
        return PushCheckResult.Allow;
    }
}
