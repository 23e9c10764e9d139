using Bollard.Core.Oci;

namespace Bollard.Core.Gc;

/// <summary>
/// Pins that keep GC off a digest while a linker (an upload commit, a mount) moves bytes into the blob store and
/// links them. GC marks a blob 'deleting' only when it has no link and no live pin, in one transaction; a pin is
/// refused while the blob is 'deleting'. So bytes a link acknowledges to a client are never deleted under it.
/// SQLite serializes both on its writer; PostgreSQL takes the blob row <c>FOR UPDATE</c> in both (creating it for a
/// pin with <c>INSERT ... ON CONFLICT DO NOTHING</c> first), which serializes them per digest across nodes.
/// </summary>
public interface IBlobPins
{
    /// <returns>false while GC is deleting the blob (wait until it is gone, then pin again); true when pinned.</returns>
    ValueTask<bool> TryPinAsync(Digest digest, string token, TimeSpan lifetime, CancellationToken ct);

    /// <summary>Removes the pin (idempotent). One left by a crash expires and GC then treats its digest as a candidate.</summary>
    ValueTask UnpinAsync(string token, CancellationToken ct);
}
