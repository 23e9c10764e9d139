namespace Bollard.Core.Scanning;

/// <summary>
/// The per-layer analysis cache (issue 8: "index per layer digest and reuse"): a layer shared by a thousand images
/// is read once. The value is the engine's own serialized layer index (opaque here); <paramref name="engineVersion"/>
/// is part of the key, so a newer engine re-reads instead of trusting an old format. Rows are small (packages and a
/// file table, never file contents).
/// </summary>
public interface ILayerIndexStore
{
    Task<byte[]?> GetAsync(string layerDigest, int engineVersion, CancellationToken ct);

    /// <summary>Stores or replaces the index of a layer (idempotent: two nodes indexing the same layer both succeed).</summary>
    Task PutAsync(string layerDigest, int engineVersion, byte[] index, CancellationToken ct);
}
