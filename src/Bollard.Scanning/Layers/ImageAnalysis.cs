using Bollard.Core.Scanning;

namespace Bollard.Scanning.Layers;

/// <summary>The result of <see cref="ImageAnalyzer.AnalyzeAsync"/>: the inventory, the size report, and how many layers were read from blobs this time (not from the layer-index cache).</summary>
public sealed record ImageAnalysis(ImageInventory Inventory, ImageSizeReport Size, int LayersRead);
