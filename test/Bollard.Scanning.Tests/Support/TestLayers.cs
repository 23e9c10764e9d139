using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Tests.Support;

/// <summary>Builds real layer blobs with <see cref="TarWriter"/> (PAX) and gzip/zstd, and images from them.</summary>
internal sealed class TestLayer
{
    private readonly MemoryStream tar = new();
    private readonly TarWriter writer;

    // A fixed time: the same files always make the same bytes (PAX would write the current time with fractions, so
    // two builds of one layer differed in size now and then).
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public TestLayer() => writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true);

    public TestLayer File(string name, string content, int mode = 0x1A4) => File(name, Encoding.UTF8.GetBytes(content), mode);

    public TestLayer File(string name, byte[] content, int mode = 0x1A4)
    {
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content), Mode = (UnixFileMode)mode, ModificationTime = Epoch });
        return this;
    }

    public TestLayer Dir(string name)
    {
        writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)0x1ED, ModificationTime = Epoch });
        return this;
    }

    public TestLayer Symlink(string name, string target)
    {
        writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, ModificationTime = Epoch });
        return this;
    }

    public TestLayer HardLink(string name, string target)
    {
        writer.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target, ModificationTime = Epoch });
        return this;
    }

    public TestLayer Whiteout(string path)
    {
        int slash = path.LastIndexOf('/');
        return File(path[..(slash + 1)] + ".wh." + path[(slash + 1)..], "");
    }

    public TestLayer Opaque(string dir) => File(dir.TrimEnd('/') + "/.wh..wh..opq", "");

    public byte[] Tar()
    {
        writer.Dispose();
        return tar.ToArray();
    }

    public byte[] Gzip() => TestBlobs.Gzip(Tar());

    public byte[] Zstd() => TestBlobs.Zstd(Tar());
}

internal static class TestBlobs
{
    public const string Gz = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string ZstdType = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string PlainTar = "application/vnd.oci.image.layer.v1.tar";

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }

        return ms.ToArray();
    }

    public static byte[] Zstd(byte[] data)
    {
        using var compressor = new ZstdSharp.Compressor(3);
        return compressor.Wrap(data).ToArray();
    }

    public static Descriptor Describe(byte[] blob, string mediaType = Gz) => new(mediaType, Digest.Sha256Of(blob), blob.Length);

    /// <summary>An image config with the platform and one history entry per layer (plus an empty-layer entry first, to be skipped).</summary>
    public static byte[] Config(int layers, string? os = "linux", string? arch = "amd64") =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["os"] = os,
            ["architecture"] = arch,
            ["history"] = new object[] { new Dictionary<string, object> { ["created_by"] = "ENV X=1", ["empty_layer"] = true } }
                .Concat(Enumerable.Range(0, layers).Select(i => new Dictionary<string, object> { ["created_by"] = $"RUN step {i}" })).ToArray(),
        });

    public static ImageToScan Image(MemoryBlobSource blobs, params (byte[] Blob, string MediaType)[] layers)
    {
        var descriptors = layers.Select(l => blobs.Add(l.Blob, l.MediaType)).ToList();
        byte[] config = Config(descriptors.Count);
        return new ImageToScan(Digest.Sha256Of(Encoding.UTF8.GetBytes(string.Join(",", descriptors.Select(d => d.Digest)))).ToString(), descriptors, config);
    }

    public static ImageToScan Image(MemoryBlobSource blobs, params byte[][] gzipLayers) =>
        Image(blobs, [.. gzipLayers.Select(b => (b, Gz))]);
}

/// <summary>Blobs by digest, served as forward-only streams; a blob may be replaced by other bytes to play an untrusted source.</summary>
internal sealed class MemoryBlobSource : IBlobSource
{
    private readonly Dictionary<Digest, byte[]> blobs = [];

    public int Opens { get; private set; }

    public Descriptor Add(byte[] blob, string mediaType = TestBlobs.Gz)
    {
        var d = TestBlobs.Describe(blob, mediaType);
        blobs[d.Digest] = blob;
        return d;
    }

    /// <summary>Serve <paramref name="bytes"/> when <paramref name="digest"/> is asked for.</summary>
    public void Substitute(Digest digest, byte[] bytes) => blobs[digest] = bytes;

    public ValueTask<Stream> OpenAsync(Descriptor blob, CancellationToken ct)
    {
        Opens++;
        return ValueTask.FromResult<Stream>(new ForwardOnlyStream(blobs[blob.Digest]));
    }

    private sealed class ForwardOnlyStream(byte[] data) : MemoryStream(data, writable: false)
    {
        public override bool CanSeek => false;
    }
}
