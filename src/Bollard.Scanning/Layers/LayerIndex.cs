using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bollard.Scanning.Layers;

/// <summary>
/// What one layer holds, read once and cached by (layer digest, <see cref="ScanEngine.Version"/>) in the
/// <c>ILayerIndexStore</c>: the file table in tar order (path, kind, size, link target), the whiteouts and opaque
/// directories it applies to the layers below, every analyzer result per path, and the layer's own warnings. Never
/// file contents. Stored as gzip'd JSON with one-letter property names (<see cref="Serialize"/>): the bookworm
/// minbase layer (about 10k entries) is a few hundred KiB.
/// </summary>
internal sealed class LayerIndex
{
    [JsonPropertyName("d")]
    public string Digest { get; set; } = "";

    /// <summary>Bytes of the tar stream; null when it could not be read to the end.</summary>
    [JsonPropertyName("u")]
    public long? UncompressedSize { get; set; }

    [JsonPropertyName("e")]
    public List<LayerEntry> Entries { get; set; } = [];

    /// <summary>Paths (normalized, without the <c>.wh.</c> prefix) this layer deletes from the layers below.</summary>
    [JsonPropertyName("w")]
    public List<string> Whiteouts { get; set; } = [];

    /// <summary>Directories whose content from the layers below this layer hides (<c>.wh..wh..opq</c>).</summary>
    [JsonPropertyName("o")]
    public List<string> OpaqueDirs { get; set; } = [];

    [JsonPropertyName("a")]
    public List<PathAnalysis> Analyses { get; set; } = [];

    [JsonPropertyName("x")]
    public List<string> Warnings { get; set; } = [];

    /// <summary>Read to the end with size and digest verified and no limit hit: only complete indexes are cached.</summary>
    [JsonIgnore]
    public bool Complete { get; set; }

    public byte[] Serialize()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            JsonSerializer.Serialize(gzip, this, LayerIndexJson.Default.LayerIndex);
        }

        return buffer.ToArray();
    }

    /// <returns>null when the bytes are not an index this engine wrote (then the layer is read again).</returns>
    public static LayerIndex? Deserialize(byte[] data)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
            var index = JsonSerializer.Deserialize(gzip, LayerIndexJson.Default.LayerIndex);
            if (index is not null)
            {
                index.Complete = true;
            }

            return index;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or NotSupportedException)
        {
            return null;
        }
    }
}

/// <summary>One tar entry of a layer (whiteouts are not entries: see <see cref="LayerIndex.Whiteouts"/>).</summary>
/// <param name="Path">Normalized absolute path.</param>
/// <param name="Kind">What it is.</param>
/// <param name="Size">Bytes of a regular file (the apparent size of a sparse one), 0 otherwise.</param>
/// <param name="Link">Symlink target as written, or the normalized path a hard link points at.</param>
internal sealed record LayerEntry(
    [property: JsonPropertyName("p")] string Path,
    [property: JsonPropertyName("k")] EntryKind Kind,
    [property: JsonPropertyName("s")] long Size,
    [property: JsonPropertyName("l")] string? Link);

/// <summary>One analyzer's result for one path of the layer.</summary>
internal sealed record PathAnalysis(
    [property: JsonPropertyName("p")] string Path,
    [property: JsonPropertyName("n")] string Analyzer,
    [property: JsonPropertyName("r")] FileAnalysis Result);

internal enum EntryKind
{
    File,
    Directory,
    Symlink,
    HardLink,
    Other,
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = false)]
[JsonSerializable(typeof(LayerIndex))]
internal sealed partial class LayerIndexJson : JsonSerializerContext;
