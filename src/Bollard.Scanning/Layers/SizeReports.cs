using Bollard.Core.Scanning;

namespace Bollard.Scanning.Layers;

/// <summary>Size-report helpers that need no layer: the base-image share is re-computed when the set of shared layers changes (more images pushed).</summary>
public static class SizeReports
{
    /// <summary>
    /// Marks the layers other images share (<paramref name="sharedLayerDigests"/>, e.g. from the registry's layer
    /// references) and sets the base image: the longest run of bottom layers that are all shared. A shared layer above
    /// an unshared one is marked but is not base.
    /// </summary>
    public static ImageSizeReport WithSharedLayers(ImageSizeReport report, IReadOnlySet<string>? sharedLayerDigests)
    {
        ArgumentNullException.ThrowIfNull(report);
        var layers = report.Layers.Select(l => l with { Shared = sharedLayerDigests?.Contains(l.Digest) == true }).ToList();
        int baseCount = 0;
        while (baseCount < layers.Count && layers[baseCount].Shared)
        {
            baseCount++;
        }

        long baseBytes = layers.Take(baseCount).Sum(l => l.CompressedSize);
        return report with
        {
            Layers = layers,
            BaseLayerCount = baseCount,
            BaseCompressedSize = baseBytes,
            BaseShare = report.CompressedSize > 0 ? (double)baseBytes / report.CompressedSize : 0,
        };
    }
}
