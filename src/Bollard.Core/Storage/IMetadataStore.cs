namespace Bollard.Core.Storage;

/// <summary>
/// The write side of the metadata seam: every change to repositories, blob links, manifests and tags goes through
/// one <see cref="IMetadataTransaction"/>, together with the registry events (outbox rows) that describe it, so a
/// change and its events commit together or not at all. The registry logic (what to check, which events to write)
/// is in Core (<c>ManifestService</c>, <c>BlobService</c>); a backend only moves rows.
/// </summary>
/// <remarks>
/// SQLite: one transaction at a time on the database's single writer connection (<c>BEGIN IMMEDIATE</c>).
/// PostgreSQL: one database transaction per unit of work; the reads that decide a change take row locks
/// (<c>SELECT ... FOR UPDATE</c> on the repository row, which serializes changes per repository) so that the
/// decision still holds at commit. Keep a unit of work short: it holds the writer for its whole life.
/// </remarks>
public interface IMetadataStore
{
    /// <summary>Starts a unit of work. Waits for the writer; cancellation while waiting throws and opens nothing.</summary>
    ValueTask<IMetadataTransaction> BeginWriteAsync(CancellationToken ct);
}
