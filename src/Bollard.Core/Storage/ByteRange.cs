namespace Bollard.Core.Storage;

/// <summary>
/// A satisfiable part of a blob: <see cref="Length"/> bytes from <see cref="Offset"/>. Callers build it from an
/// HTTP <c>Range</c> clamped to the blob's size, so a backend never sees a range outside the blob.
/// </summary>
public readonly record struct ByteRange
{
    public ByteRange(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Offset = offset;
        Length = length;
    }

    public long Offset { get; }
    public long Length { get; }

    /// <summary>The last byte's offset (inclusive), as in <c>Content-Range: bytes first-last/size</c>.</summary>
    public long Last => Offset + Length - 1;
}
