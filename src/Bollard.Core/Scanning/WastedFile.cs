namespace Bollard.Core.Scanning;

/// <summary>A file that <paramref name="LayerDigest"/> wrote and <paramref name="RemovedBy"/> (a later layer) overwrote or deleted: its bytes are in the image but not in its filesystem.</summary>
/// <param name="Path">Absolute path in the image.</param>
/// <param name="Size">Bytes wasted.</param>
/// <param name="LayerDigest">The layer that wrote the file.</param>
/// <param name="RemovedBy">The layer that overwrote or deleted it.</param>
/// <param name="Deleted">True for a whiteout (or a directory replaced), false for an overwrite.</param>
public sealed record WastedFile(string Path, long Size, string LayerDigest, string RemovedBy, bool Deleted);
