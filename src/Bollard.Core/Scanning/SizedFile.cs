namespace Bollard.Core.Scanning;

/// <summary>A regular file of the final filesystem view and the layer that wrote it.</summary>
public sealed record SizedFile(string Path, long Size, string LayerDigest);
