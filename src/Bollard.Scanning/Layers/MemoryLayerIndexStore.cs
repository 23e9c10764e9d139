using System.Collections.Concurrent;
using Bollard.Core.Scanning;

namespace Bollard.Scanning.Layers;

/// <summary>
/// A process-local <see cref="ILayerIndexStore"/>: for a local <c>bollard scan</c> of several images without a data
/// folder, and tests. Bounded: past <paramref name="maxEntries"/> layers it keeps no more (the analysis just reads
/// those layers again). The registry itself uses the SQLite store, so indexes survive restarts.
/// </summary>
public sealed class MemoryLayerIndexStore(int maxEntries = 10_000) : ILayerIndexStore
{
    private readonly ConcurrentDictionary<(string, int), byte[]> entries = new();

    public int Count => entries.Count;

    public Task<byte[]?> GetAsync(string layerDigest, int engineVersion, CancellationToken ct) =>
        Task.FromResult(entries.TryGetValue((layerDigest, engineVersion), out var v) ? v : null);

    public Task PutAsync(string layerDigest, int engineVersion, byte[] index, CancellationToken ct)
    {
        if (entries.Count < maxEntries || entries.ContainsKey((layerDigest, engineVersion)))
        {
            entries[(layerDigest, engineVersion)] = index;
        }

        return Task.CompletedTask;
    }
}
