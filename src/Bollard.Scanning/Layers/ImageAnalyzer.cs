using Bollard.Core.Scanning;
using Bollard.Scanning.Analyzers;

namespace Bollard.Scanning.Layers;

/// <summary>
/// Analyzes one image (one platform: a multi-platform index is the caller's loop, one <see cref="ImageToScan"/> per
/// child manifest): each layer is read once from the blob source into a per-layer index (file table, whiteouts,
/// analyzer results) unless the <see cref="ILayerIndexStore"/> already holds that layer's index for this
/// <see cref="ScanEngine.Version"/>; then the indexes are merged bottom-up into the <see cref="ImageInventory"/> and
/// the <see cref="ImageSizeReport"/>. A layer that cannot be read (truncated, wrong digest, a limit) is a warning in
/// the inventory; the rest of the image is still reported. Thread-safe: one instance serves concurrent scans.
/// </summary>
public sealed class ImageAnalyzer
{
    private static long layersReadTotal;

    private readonly ILayerIndexStore? cache;
    private readonly ScanLimits limits;
    private readonly LayerReader reader;

    /// <param name="cache">Per-layer index cache; null to read every layer every time.</param>
    /// <param name="limits">Bounds on the work (<see cref="ScanLimits.Default"/>).</param>
    /// <param name="time">For the per-file analyzer timeout; <see cref="TimeProvider.System"/> when null.</param>
    public ImageAnalyzer(ILayerIndexStore? cache, ScanLimits limits, TimeProvider? time = null)
        : this(cache, limits, time, FileAnalyzers.All)
    {
    }

    /// <summary>With another analyzer list (tests). No cache then: cached indexes are keyed by the engine version, which stands for <see cref="FileAnalyzers.All"/>.</summary>
    internal ImageAnalyzer(ScanLimits limits, IReadOnlyList<IFileAnalyzer> analyzers, TimeProvider? time = null)
        : this(null, limits, time, analyzers)
    {
    }

    private ImageAnalyzer(ILayerIndexStore? cache, ScanLimits limits, TimeProvider? time, IReadOnlyList<IFileAnalyzer> analyzers)
    {
        ArgumentNullException.ThrowIfNull(limits);
        this.cache = cache;
        this.limits = limits;
        reader = new LayerReader(analyzers, limits, time ?? TimeProvider.System);
    }

    /// <summary>Layers read from a blob source by every analyzer of this process since it started (cache hits not counted): for tests and metrics.</summary>
    public static long LayersReadTotal => Interlocked.Read(ref layersReadTotal);

    public ScanLimits Limits => limits;

    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; nothing else is thrown for bad content.</exception>
    public async Task<ImageAnalysis> AnalyzeAsync(ImageToScan image, IBlobSource blobs, IProgress<ScanProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(blobs);
        var config = ImageConfig.Parse(image.ConfigJson);
        var indexes = new List<LayerIndex>(image.Layers.Count);
        var seen = new Dictionary<string, LayerIndex>(StringComparer.Ordinal);
        var warnings = new List<string>();
        long bytesTotal = image.Layers.Sum(l => l.Size);
        long bytesDone = 0;
        int read = 0;
        for (int i = 0; i < image.Layers.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var layer = image.Layers[i];
            string digest = layer.Digest.ToString();
            progress?.Report(new ScanProgress(i, image.Layers.Count, bytesDone, bytesTotal, digest));
            if (!seen.TryGetValue(digest, out var index))
            {
                index = await FromCacheAsync(digest, warnings, ct).ConfigureAwait(false);
                if (index is null)
                {
                    long before = bytesDone;
                    int done = i;
                    index = await reader.ReadAsync(layer, blobs, n => progress?.Report(new ScanProgress(done, image.Layers.Count, before + n, bytesTotal, digest)), ct).ConfigureAwait(false);
                    Interlocked.Increment(ref layersReadTotal);
                    read++;
                    if (cache is not null && index.Complete)
                    {
                        await ToCacheAsync(index, warnings, ct).ConfigureAwait(false);
                    }
                }

                seen[digest] = index;
            }

            indexes.Add(index);
            bytesDone += layer.Size;
        }

        progress?.Report(new ScanProgress(image.Layers.Count, image.Layers.Count, bytesDone, bytesTotal, null));
        var (inventory, size) = ImageMerge.Merge(image, indexes, config, warnings);
        return new ImageAnalysis(inventory, size, read);
    }

    private async Task<LayerIndex?> FromCacheAsync(string digest, List<string> warnings, CancellationToken ct)
    {
        if (cache is null)
        {
            return null;
        }

        byte[]? bytes;
        try
        {
            bytes = await cache.GetAsync(digest, ScanEngine.Version, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            warnings.Add($"layer {digest}: layer-index cache unreadable ({e.GetType().Name}: {e.Message}): layer read from its blob");
            return null;
        }

        if (bytes is null)
        {
            return null;
        }

        var index = LayerIndex.Deserialize(bytes);
        if (index is null || index.Digest != digest)
        {
            warnings.Add($"layer {digest}: cached layer index is not readable by this engine: layer read from its blob");
            return null;
        }

        return index;
    }

    private async Task ToCacheAsync(LayerIndex index, List<string> warnings, CancellationToken ct)
    {
        try
        {
            await cache!.PutAsync(index.Digest, ScanEngine.Version, index.Serialize(), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            warnings.Add($"layer {index.Digest}: layer index not cached ({e.GetType().Name}: {e.Message}): the next scan reads the layer again");
        }
    }
}
