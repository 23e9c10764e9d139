using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Bollard.Core.Oci;
using Bollard.Scanning.Layers;
using Bollard.Scanning.Tests.Support;

namespace Bollard.Scanning.Tests.Layers;

/// <summary>The bad inputs of issue 8 for layers: each is a warning in the inventory (the rest still reported), never a crash, hang or unbounded memory.</summary>
public sealed class LayerAttackTests
{
    private static readonly string Status = "Package: base\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n\n";

    private static Task<ImageAnalysis> AnalyzeAsync(MemoryBlobSource blobs, ImageToScan image, ScanLimits? limits = null) =>
        new ImageAnalyzer(null, limits ?? ScanLimits.Default).AnalyzeAsync(image, blobs, null, CancellationToken.None);

    private static byte[] GoodLayer() => new TestLayer().File("var/lib/dpkg/status", Status).Gzip();

    [Fact]
    public async Task A_truncated_gzip_layer_is_a_warning_and_what_came_before_it_is_kept()
    {
        // A layer whose blob really is a cut gzip stream (its digest is of the cut bytes): the status file comes first.
        var full = new TestLayer().File("var/lib/dpkg/status", Status).File("big", new byte[2_000_000].Select((_, i) => (byte)(i * 7919 % 251)).ToArray()).Gzip();
        var cut = full[..(full.Length / 2)];
        var blobs = new MemoryBlobSource();
        var image = TestBlobs.Image(blobs, cut);

        var inv = (await AnalyzeAsync(blobs, image)).Inventory;

        Assert.Equal("base", Assert.Single(inv.Packages).Name);
        var warning = Assert.Single(inv.Warnings);
        Assert.StartsWith($"layer {image.Layers[0].Digest}: the tar stream ends early", warning);
        Assert.Null(inv.Layers[0].UncompressedSize);
    }

    [Fact]
    public async Task A_blob_source_that_sends_other_bytes_or_too_few_gets_the_layer_ignored()
    {
        var blobs = new MemoryBlobSource();
        var image = TestBlobs.Image(blobs, GoodLayer(), GoodLayer().Reverse().ToArray(), new TestLayer().File("x", "x").Gzip());
        // Layer 1: same size, other content. Layer 2: cut short by the source.
        var other = new TestLayer().File("var/lib/dpkg/status", Status.Replace("base", "evil", StringComparison.Ordinal)).Gzip();
        Assert.Equal(image.Layers[0].Size, other.Length);
        blobs.Substitute(image.Layers[1].Digest, other);
        var real2 = new TestLayer().File("var/lib/dpkg/status", Status.Replace("base", "cut", StringComparison.Ordinal)).Gzip();
        var image2 = TestBlobs.Image(blobs, real2);
        blobs.Substitute(image2.Layers[0].Digest, real2[..^10]);

        var inv = (await AnalyzeAsync(blobs, image)).Inventory;
        var inv2 = (await AnalyzeAsync(blobs, image2)).Inventory;

        Assert.Equal(["base"], inv.Packages.Select(p => p.Name));
        Assert.Contains(inv.Warnings, w => w.StartsWith($"layer {image.Layers[1].Digest}: digest mismatch", StringComparison.Ordinal));
        Assert.Empty(inv2.Packages);
        Assert.Contains(inv2.Warnings, w => w.Contains("truncated: the blob source ended after", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_blob_source_that_sends_more_than_the_descriptor_is_stopped_at_the_descriptor_size()
    {
        var blobs = new MemoryBlobSource();
        var layer = GoodLayer();
        var image = TestBlobs.Image(blobs, layer);
        blobs.Substitute(image.Layers[0].Digest, [.. layer, .. new byte[10_000_000]]);

        var inv = (await AnalyzeAsync(blobs, image)).Inventory;

        Assert.Empty(inv.Packages);
        Assert.Contains("returned more than the descriptor's", Assert.Single(inv.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dot_dot_paths_are_clamped_to_the_root_and_symlinks_never_leave_the_image()
    {
        var blobs = new MemoryBlobSource();
        var l0 = new TestLayer()
            .File("../../../usr/lib/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
            .Symlink("etc/os-release", "/../../../../usr/lib/./os-release")
            .Symlink("loop/a", "b").Symlink("loop/b", "/loop/a")
            .Symlink("escape", "../../../../../../etc/shadow")
            .File("var/lib/dpkg/../../../../var/lib/dpkg/status", Status).Gzip();
        var image = TestBlobs.Image(blobs, l0);

        var inv = (await AnalyzeAsync(blobs, image)).Inventory;

        Assert.Equal("debian", inv.Os?.Id);
        Assert.Equal("pkg:deb/debian/base@1.0?arch=amd64&distro=debian-12", Assert.Single(inv.Packages).Purl);
        Assert.Equal(2, inv.Warnings.Count(w => w.Contains("climbs above the root", StringComparison.Ordinal)));
        Assert.Contains(inv.Warnings, w => w.Contains("read as /usr/lib/os-release", StringComparison.Ordinal));

        var view = new MergedView();
        view.Put(new LayerEntry("/loop/a", EntryKind.Symlink, 0, "b"), 0);
        view.Put(new LayerEntry("/loop/b", EntryKind.Symlink, 0, "/loop/a"), 0);
        view.Put(new LayerEntry("/escape", EntryKind.Symlink, 0, "../../../../etc/shadow"), 0);
        view.Put(new LayerEntry("/etc/shadow", EntryKind.File, 5, null), 0);
        Assert.Null(view.Resolve("/loop/a"));
        Assert.Equal("/etc/shadow", view.Resolve("/escape")?.Path);
    }

    [Fact]
    public async Task A_decompression_bomb_stops_at_the_ratio_limit_and_keeps_what_came_before()
    {
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.SmallestSize, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "var/lib/dpkg/status") { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Status)) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "zeros") { DataStream = new ZeroStream(200L << 20) });
        }

        var blobs = new MemoryBlobSource();
        var image = TestBlobs.Image(blobs, gz.ToArray());
        var limits = ScanLimits.Default with { RatioGraceBytes = 1 << 20, MaxDecompressionRatio = 100 };

        var inv = (await AnalyzeAsync(blobs, image, limits)).Inventory;

        Assert.Equal("base", Assert.Single(inv.Packages).Name);
        Assert.Contains("decompression ratio above 100", Assert.Single(inv.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_layer_whose_media_type_lies_is_read_as_what_it_is_and_garbage_is_refused()
    {
        var blobs = new MemoryBlobSource();
        var zstdLayer = new TestLayer().File("var/lib/dpkg/status", Status).Zstd();
        var garbage = Enumerable.Range(0, 4096).Select(i => (byte)(i * 31 % 256)).ToArray();
        var image = TestBlobs.Image(blobs, (zstdLayer, TestBlobs.Gz), (garbage, TestBlobs.Gz));

        var inv = (await AnalyzeAsync(blobs, image)).Inventory;

        Assert.Equal("base", Assert.Single(inv.Packages).Name);
        Assert.Contains(inv.Warnings, w => w.Contains("says gzip but the content is zstd: read as zstd", StringComparison.Ordinal));
        Assert.Contains(inv.Warnings, w => w.Contains("neither gzip, zstd nor tar", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Too_many_entries_and_too_long_paths_are_warnings()
    {
        var layer = new TestLayer().File("var/lib/dpkg/status", Status).File("a/" + new string('x', 300), "x");
        for (int i = 0; i < 20; i++)
        {
            layer.File($"f{i}", "x");
        }

        var blobs = new MemoryBlobSource();
        var image = TestBlobs.Image(blobs, layer.Gzip());
        var inv = (await AnalyzeAsync(blobs, image, ScanLimits.Default with { MaxPathLength = 200, MaxFilesPerLayer = 10 })).Inventory;

        Assert.Equal("base", Assert.Single(inv.Packages).Name);
        Assert.Contains(inv.Warnings, w => w.Contains("(limit MaxPathLength 200): skipped", StringComparison.Ordinal));
        Assert.Contains(inv.Warnings, w => w.Contains("more than 10 entries", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("posix")] // PAX sparse 1.0: read, with its apparent size
    [InlineData("gnu")]   // old GNU 'S' entries: System.Formats.Tar stops there, with a warning
    public async Task A_1_GiB_sparse_file_made_by_gnu_tar_is_bounded(string format)
    {
        string dir = Directory.CreateTempSubdirectory("bollard-sparse-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "root/var/lib/dpkg"));
            await File.WriteAllTextAsync(Path.Combine(dir, "root/var/lib/dpkg/status"), Status);
            using (var f = new FileStream(Path.Combine(dir, "root/huge"), FileMode.CreateNew))
            {
                f.SetLength(1L << 30); // a hole, no data on disk
                f.Position = 1L << 29;
                f.WriteByte(1);
            }

            string layerPath = Path.Combine(dir, "layer.tar.gz");
            Run("tar", "--sparse", "--format=" + format, "--sort=name", "-czf", layerPath, "-C", Path.Combine(dir, "root"), ".");
            var blob = await File.ReadAllBytesAsync(layerPath);
            Assert.True(blob.Length < 1 << 20);
            var blobs = new MemoryBlobSource();
            var image = TestBlobs.Image(blobs, blob);

            long allocated = GC.GetTotalAllocatedBytes();
            var result = await AnalyzeAsync(blobs, image);
            allocated = GC.GetTotalAllocatedBytes() - allocated;

            Assert.True(allocated < 256L << 20, $"allocated {allocated} bytes");
            if (format == "posix")
            {
                Assert.Empty(result.Inventory.Warnings);
                Assert.Equal("base", Assert.Single(result.Inventory.Packages).Name);
                Assert.True(result.Inventory.Layers[0].UncompressedSize < 1 << 20);
                Assert.Equal(1L << 30, Assert.Single(result.Size.LargestFiles, f => f.Path == "/huge").Size);
            }
            else
            {
                Assert.Contains("'SparseFile' not supported", Assert.Single(result.Inventory.Warnings), StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} failed: {err}");
    }

    private sealed class ZeroStream(long length) : Stream
    {
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => position;
            set => position = value;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, length - position);
            Array.Clear(buffer, offset, n);
            position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            _ => length + offset,
        };

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
