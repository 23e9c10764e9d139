namespace Bollard.Scanning.Layers;

/// <summary>Progress of one image analysis, for the CLI's progress bar and the job's progress: layers done of all, bytes read of the compressed total.</summary>
public sealed record ScanProgress(int LayersDone, int LayersTotal, long BytesRead, long BytesTotal, string? CurrentLayer);
