using Bollard.Scanning.Layers;
using Bollard.Scanning.Tests.Support;

namespace Bollard.Scanning.Tests.Layers;

public sealed class SizeReportTests
{
    [Fact]
    public async Task Size_report_has_per_layer_sizes_history_largest_files_waste_and_the_base_share()
    {
        var blobs = new MemoryBlobSource();
        var l0 = new TestLayer().File("bin/big", new byte[500_000]).File("etc/conf", "v1").File("tmp/cache", new byte[200_000]).Gzip();
        var l1 = new TestLayer().File("etc/conf", "v2-longer").Whiteout("tmp/cache").Gzip();
        var l2 = new TestLayer().File("app/main", new byte[300_000]).Gzip();
        var image = TestBlobs.Image(blobs, l0, l1, l2);
        string D(int i) => image.Layers[i].Digest.ToString();
        image = image with { SharedLayerDigests = new HashSet<string> { D(0), D(2) } };

        var size = (await new ImageAnalyzer(null, ScanLimits.Default).AnalyzeAsync(image, blobs, null, CancellationToken.None)).Size;

        Assert.Equal(image.ManifestDigest, size.ManifestDigest);
        Assert.Equal(l0.Length + l1.Length + l2.Length, size.CompressedSize);
        Assert.Equal(["RUN step 0", "RUN step 1", "RUN step 2"], size.Layers.Select(l => l.CreatedBy!));
        Assert.Equal([3, 1, 1], size.Layers.Select(l => l.FileCount));
        Assert.All(size.Layers, l => Assert.True(l.UncompressedSize > 0));
        Assert.Equal(size.Layers.Sum(l => l.UncompressedSize!.Value), size.UncompressedSize);
        Assert.Equal([("/bin/big", 500_000L, D(0)), ("/app/main", 300_000L, D(2)), ("/etc/conf", 9L, D(1))],
            size.LargestFiles.Select(f => (f.Path, f.Size, f.LayerDigest)).ToList());
        Assert.Equal(3, size.FinalFileCount);
        Assert.Equal(800_009, size.FinalFilesSize);
        Assert.Equal(200_002, size.WastedBytes);
        Assert.Equal([("/tmp/cache", 200_000L, D(0), D(1), true), ("/etc/conf", 2L, D(0), D(1), false)],
            size.WastedFiles.Select(w => (w.Path, w.Size, w.LayerDigest, w.RemovedBy, w.Deleted)).ToList());
        Assert.Equal([true, false, true], size.Layers.Select(l => l.Shared));
        Assert.Equal(1, size.BaseLayerCount);
        Assert.Equal(l0.Length, size.BaseCompressedSize);
        Assert.Equal((double)l0.Length / size.CompressedSize, size.BaseShare, 6);

        var later = SizeReports.WithSharedLayers(size, new HashSet<string> { D(0), D(1) });
        Assert.Equal(2, later.BaseLayerCount);
        Assert.Equal(l0.Length + l1.Length, later.BaseCompressedSize);
        Assert.Equal(0, SizeReports.WithSharedLayers(size, null).BaseShare);
    }
}
