using Bollard.Scanning.Layers;
using Bollard.Scanning.Tests.Support;

namespace Bollard.Scanning.Tests.Layers;

/// <summary>Layers made by GNU <c>tar</c> from a folder (GNU format: long names, hard links, real directory entries), as image builders make them.</summary>
public sealed class GnuTarLayerTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("bollard-gnutar-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private async Task<byte[]> TarAsync(string name, Func<string, Task> fill, params string[] flags)
    {
        string root = Path.Combine(dir, name);
        Directory.CreateDirectory(root);
        await fill(root);
        string output = Path.Combine(dir, name + ".tar.gz");
        LayerAttackTests.Run("tar", [.. flags, "-czf", output, "-C", root, "."]);
        return await File.ReadAllBytesAsync(output);
    }

    [Fact]
    public async Task A_gnu_tar_layer_with_long_names_and_hard_links_then_a_whiteout_layer()
    {
        string longDir = string.Join('/', Enumerable.Range(0, 12).Select(i => $"directory-{i:D2}-with-a-long-name"));
        var l0 = await TarAsync("l0", async root =>
        {
            Directory.CreateDirectory(Path.Combine(root, "etc"));
            Directory.CreateDirectory(Path.Combine(root, "usr/lib"));
            Directory.CreateDirectory(Path.Combine(root, "var/lib/dpkg"));
            await File.WriteAllTextAsync(Path.Combine(root, "etc/os-release"), "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n");
            LayerAttackTests.Run("ln", Path.Combine(root, "etc/os-release"), Path.Combine(root, "usr/lib/os-release"));
            File.Copy("/work/shared/vulndata/debian/bookworm-minbase-status", Path.Combine(root, "var/lib/dpkg/status"));
            Directory.CreateDirectory(Path.Combine(root, longDir));
            await File.WriteAllBytesAsync(Path.Combine(root, longDir, "big.bin"), new byte[3_000_000]);
        }, "--format=gnu", "--sort=name");
        // The second layer deletes /etc/os-release (a whiteout as a file named .wh.os-release) and the big file.
        var l1 = await TarAsync("l1", async root =>
        {
            Directory.CreateDirectory(Path.Combine(root, "etc"));
            Directory.CreateDirectory(Path.Combine(root, longDir));
            await File.WriteAllTextAsync(Path.Combine(root, "etc/.wh.os-release"), "");
            await File.WriteAllTextAsync(Path.Combine(root, longDir, ".wh.big.bin"), "");
        }, "--format=gnu");
        var blobs = new MemoryBlobSource();
        var image = TestBlobs.Image(blobs, l0, l1);

        var result = await new ImageAnalyzer(null, ScanLimits.Default).AnalyzeAsync(image, blobs, null, CancellationToken.None);

        var inv = result.Inventory;
        Assert.Empty(inv.Warnings);
        Assert.Equal(88, inv.Packages.Count);
        Assert.Equal("bookworm", inv.Os?.Codename); // from /usr/lib/os-release, the hard link that stayed
        Assert.All(inv.Packages, p => Assert.EndsWith("&distro=debian-12", p.Purl, StringComparison.Ordinal));
        var wasted = Assert.Single(result.Size.WastedFiles, w => w.Size == 3_000_000);
        Assert.Equal("/" + longDir + "/big.bin", wasted.Path);
        Assert.True(wasted.Deleted);
        Assert.True(result.Size.WastedBytes >= 3_000_000);
        Assert.DoesNotContain(result.Size.LargestFiles, f => f.Path.EndsWith("big.bin", StringComparison.Ordinal));
        Assert.Equal(2, result.Size.Layers.Count);
        Assert.Equal(l0.Length, result.Size.Layers[0].CompressedSize);
        Assert.True(result.Size.Layers[0].UncompressedSize > 3_000_000);
    }

    [Fact]
    public async Task The_layer_index_round_trips_through_its_serialized_form()
    {
        var l0 = await TarAsync("r0", async root =>
        {
            Directory.CreateDirectory(Path.Combine(root, "var/lib/dpkg"));
            File.Copy("/work/shared/vulndata/debian/bookworm-minbase-status", Path.Combine(root, "var/lib/dpkg/status"));
            await File.WriteAllTextAsync(Path.Combine(root, "etc-file"), "x");
            File.CreateSymbolicLink(Path.Combine(root, "link"), "/etc-file");
        });
        var cache = new MemoryLayerIndexStore();
        var blobs = new MemoryBlobSource();
        var image = TestBlobs.Image(blobs, l0);
        var analyzer = new ImageAnalyzer(cache, ScanLimits.Default);

        var first = await analyzer.AnalyzeAsync(image, blobs, null, CancellationToken.None);
        byte[] stored = (await cache.GetAsync(image.Layers[0].Digest.ToString(), ScanEngine.Version, CancellationToken.None))!;
        var second = await analyzer.AnalyzeAsync(image, blobs, null, CancellationToken.None);

        Assert.True(stored.Length < 64 * 1024, $"{stored.Length} bytes");
        Assert.Equal(0, second.LayersRead);
        Assert.Equal(first.Inventory.Packages.Select(p => (p.Purl, p.SourceName, p.SourceVersion, p.LayerDigest)), second.Inventory.Packages.Select(p => (p.Purl, p.SourceName, p.SourceVersion, p.LayerDigest)));
        Assert.Equal(first.Size.LargestFiles, second.Size.LargestFiles);
        Assert.Equal(first.Inventory.Layers, second.Inventory.Layers);

        // A cache entry this engine cannot read is ignored with a warning, and the layer is read again.
        await cache.PutAsync(image.Layers[0].Digest.ToString(), ScanEngine.Version, [1, 2, 3], CancellationToken.None);
        var third = await analyzer.AnalyzeAsync(image, blobs, null, CancellationToken.None);
        Assert.Equal(1, third.LayersRead);
        Assert.Contains("cached layer index is not readable", Assert.Single(third.Inventory.Warnings), StringComparison.Ordinal);
    }
}
