namespace Bollard.Core.Scanning;

/// <summary>One layer in an <see cref="ImageSizeReport"/>.</summary>
/// <param name="Digest">The layer blob digest.</param>
/// <param name="CompressedSize">The manifest descriptor's size.</param>
/// <param name="UncompressedSize">The tar stream's size; null when the layer could not be read.</param>
/// <param name="CreatedBy">The config history's <c>created_by</c> (empty-layer entries skipped), null when absent.</param>
/// <param name="FileCount">Regular files the layer writes.</param>
/// <param name="FileBytes">Bytes of those files.</param>
/// <param name="Shared">Whether the caller said other images share this layer.</param>
public sealed record LayerSize(string Digest, long CompressedSize, long? UncompressedSize, string? CreatedBy, int FileCount, long FileBytes, bool Shared);
