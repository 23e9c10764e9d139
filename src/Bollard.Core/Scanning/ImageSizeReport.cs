namespace Bollard.Core.Scanning;

/// <summary>
/// Where an image's bytes go (issue 8, image size analysis): per layer compressed and uncompressed size and the
/// command that made it, the largest files of the final filesystem, the bytes wasted by files that a later layer
/// overwrote or deleted (they are still downloaded and stored), and the share of the image that is its base (the
/// bottom layers that other images share too). Computed from the per-layer indexes, so it is re-made without reading
/// a layer.
/// </summary>
public sealed record ImageSizeReport
{
    public required string ManifestDigest { get; init; }

    /// <summary>Sum of the layers' compressed sizes (what a pull downloads).</summary>
    public long CompressedSize { get; init; }

    /// <summary>Sum of the layers' tar sizes after decompression (layers that could not be read count 0).</summary>
    public long UncompressedSize { get; init; }

    /// <summary>Bytes of regular files in the final filesystem view (after whiteouts and overwrites).</summary>
    public long FinalFilesSize { get; init; }

    public int FinalFileCount { get; init; }

    public required IReadOnlyList<LayerSize> Layers { get; init; }

    /// <summary>The largest regular files of the final view, largest first.</summary>
    public required IReadOnlyList<SizedFile> LargestFiles { get; init; }

    /// <summary>Bytes of regular files written by a layer and then overwritten or deleted by a later one.</summary>
    public long WastedBytes { get; init; }

    /// <summary>The biggest of those files, largest first.</summary>
    public required IReadOnlyList<WastedFile> WastedFiles { get; init; }

    /// <summary>How many bottom layers are shared with other images (the base image), 0 when unknown.</summary>
    public int BaseLayerCount { get; init; }

    /// <summary>Compressed bytes of those base layers.</summary>
    public long BaseCompressedSize { get; init; }

    /// <summary><see cref="BaseCompressedSize"/> / <see cref="CompressedSize"/> (0 to 1; 0 for an empty image).</summary>
    public double BaseShare { get; init; }
}
