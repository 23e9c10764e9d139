namespace Bollard.Scanning.Layers;

/// <summary>
/// Bounds on the work one scan may do (issue 8: file count, path length, decompression ratio, nesting depth,
/// memory). Exceeding one is a scan warning (the rest of the image is still reported), never a crash or a hang.
/// </summary>
public sealed record ScanLimits
{
    /// <summary>Entries read per layer before the rest of the layer is skipped.</summary>
    public int MaxFilesPerLayer { get; init; } = 500_000;

    /// <summary>Longest path accepted; longer entries are skipped with a warning.</summary>
    public int MaxPathLength { get; init; } = 4096;

    /// <summary>Uncompressed bytes per compressed byte of a layer (zip-bomb defence) once past <see cref="RatioGraceBytes"/>.</summary>
    public int MaxDecompressionRatio { get; init; } = 200;

    /// <summary>Uncompressed bytes always allowed before the ratio applies (small layers of zeros compress very well).</summary>
    public long RatioGraceBytes { get; init; } = 64L << 20;

    /// <summary>Uncompressed bytes of one layer, whatever the ratio.</summary>
    public long MaxLayerBytes { get; init; } = 32L << 30;

    /// <summary>Largest file an analyzer may read (a lock file, a jar, a binary); larger ones are skipped with a warning.</summary>
    public long MaxAnalyzedFileBytes { get; init; } = 256L << 20;

    /// <summary>Largest file held in memory for an analyzer that needs to seek; larger ones go to a temporary file that is deleted on close.</summary>
    public long MaxInMemoryFileBytes { get; init; } = 16L << 20;

    /// <summary>Archives inside archives (a jar in a war in an ear) followed at most this deep.</summary>
    public int MaxNestingDepth { get; init; } = 4;

    /// <summary>Packages reported by one file (a lock file listing more is cut with a warning).</summary>
    public int MaxPackagesPerFile { get; init; } = 100_000;

    /// <summary>Time one analyzer may spend on one file before it is cancelled (a warning names the analyzer and file).</summary>
    public TimeSpan MaxAnalyzerTime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Warnings kept per layer; past it one more says how many were dropped (a hostile layer cannot grow the inventory without bound).</summary>
    public int MaxWarningsPerLayer { get; init; } = 200;

    public static ScanLimits Default { get; } = new();
}
