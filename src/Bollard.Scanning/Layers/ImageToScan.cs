using Bollard.Core.Oci;

namespace Bollard.Scanning.Layers;

/// <summary>
/// One image (one platform) to analyze: its manifest digest, its layer descriptors in order (bottom first, as in
/// the manifest) and its config bytes (for the platform and the history's <c>created_by</c>). A caller with an index
/// makes one per child manifest.
/// </summary>
public sealed record ImageToScan(string ManifestDigest, IReadOnlyList<Descriptor> Layers, ReadOnlyMemory<byte> ConfigJson)
{
    /// <summary>Layer digests that other images share too (optional; the pipeline fills it from the registry): the size report's base-image share. See <see cref="SizeReports.WithSharedLayers"/>.</summary>
    public IReadOnlySet<string>? SharedLayerDigests { get; init; }
}
