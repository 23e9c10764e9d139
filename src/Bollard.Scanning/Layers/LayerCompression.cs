namespace Bollard.Scanning.Layers;

/// <summary>How a layer blob is compressed: declared by its media type, confirmed by its first bytes.</summary>
internal enum LayerCompression
{
    None,
    Gzip,
    Zstd,
}

internal static class LayerCompressions
{
    /// <summary>From the media type (OCI <c>...tar</c>, <c>+gzip</c>, <c>+zstd</c>; Docker <c>...rootfs.diff.tar.gzip</c>); null when it names no tar layer.</summary>
    public static LayerCompression? FromMediaType(string mediaType)
    {
        var m = mediaType.AsSpan().Trim();
        if (m.EndsWith("+gzip", StringComparison.OrdinalIgnoreCase) || m.EndsWith(".tar.gzip", StringComparison.OrdinalIgnoreCase) || m.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase))
        {
            return LayerCompression.Gzip;
        }

        if (m.EndsWith("+zstd", StringComparison.OrdinalIgnoreCase) || m.EndsWith(".tar.zstd", StringComparison.OrdinalIgnoreCase))
        {
            return LayerCompression.Zstd;
        }

        if (m.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) || m.EndsWith("+tar", StringComparison.OrdinalIgnoreCase))
        {
            return LayerCompression.None;
        }

        return null;
    }

    /// <summary>From the magic bytes (RFC 1952 <c>1f 8b</c>, RFC 8878 <c>28 b5 2f fd</c>, POSIX/GNU <c>ustar</c> at offset 257); null when none matches.</summary>
    public static LayerCompression? FromMagic(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        {
            return LayerCompression.Gzip;
        }

        if (head.Length >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
        {
            return LayerCompression.Zstd;
        }

        if (head.Length >= 262 && head.Slice(257, 5).SequenceEqual("ustar"u8))
        {
            return LayerCompression.None;
        }

        return null;
    }

    public static string Name(this LayerCompression compression) => compression switch
    {
        LayerCompression.Gzip => "gzip",
        LayerCompression.Zstd => "zstd",
        _ => "uncompressed tar",
    };
}
