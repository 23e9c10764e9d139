using Bollard.Core.Auth;
using Bollard.Core.Storage;

namespace Bollard.Core.Events;

/// <summary>
/// Writes the audit record of registry changes from the outbox: <c>push</c> (reference <c>tag@digest</c>, or the
/// digest), and <c>delete</c> of a manifest, a tag or a blob (reference as deleted). A tag removed with its manifest is
/// part of that manifest's delete, not a record of its own. Pulls are audited where they are served
/// (<see cref="AuditRecorder"/>), not here: they change nothing. With access control off nothing is written, as before.
/// Delivery is at least once, so a crash between the audit write and the cursor can repeat a record.
/// </summary>
public sealed class AuditEventSubscriber(IAuditLog log, AuthOptions auth) : IRegistryEventSubscriber
{
    public string Name => "audit";

    public async Task HandleAsync(IReadOnlyList<RegistryEvent> events, CancellationToken ct)
    {
        if (!auth.Enabled) return;
        var records = events.Select(ToAudit).OfType<AuditEvent>().ToList();
        if (records.Count > 0) await log.AppendAsync(records, ct).ConfigureAwait(false);
    }

    private static AuditEvent? ToAudit(RegistryEvent e)
    {
        (string Action, string Reference)? what = e.Kind switch
        {
            RegistryEventKind.ManifestPushed => ("push", e.Tag is null ? e.Digest.ToString()! : $"{e.Tag}@{e.Digest}"),
            RegistryEventKind.ManifestDeleted or RegistryEventKind.BlobDeleted => ("delete", e.Digest.ToString()!),
            RegistryEventKind.TagDeleted when e.Detail != RegistryEvent.CascadeDetail => ("delete", e.Tag!),
            _ => null,
        };
        return what is { } w
            ? new AuditEvent
            {
                Time = e.Time, Principal = e.Principal, ClientAddress = e.ClientAddress, Action = w.Action, Outcome = "success",
                Repository = e.Repository?.Value, Reference = w.Reference,
            }
            : null;
    }
}
