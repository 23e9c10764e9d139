namespace Bollard.Core.Storage;

/// <summary>The append-only audit record. There is no update or delete, by design.</summary>
public interface IAuditLog
{
    ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken ct);

    /// <summary>Events matching the query, newest first.</summary>
    ValueTask<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken ct);
}
