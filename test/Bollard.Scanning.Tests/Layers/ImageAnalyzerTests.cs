using Bollard.Core.Scanning;
using Bollard.Scanning.Layers;
using Bollard.Scanning.Tests.Support;

namespace Bollard.Scanning.Tests.Layers;

public sealed class ImageAnalyzerTests
{
    private const string BookwormStatus = "/work/shared/vulndata/debian/bookworm-minbase-status";
    private const string BookwormOsRelease = """
        PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
        NAME="Debian GNU/Linux"
        VERSION_ID="12"
        VERSION="12 (bookworm)"
        VERSION_CODENAME=bookworm
        ID=debian
        HOME_URL="https://www.debian.org/"
        """;

    private static string Stanza(string name, string version, string? source = null, string status = "install ok installed") =>
        $"Package: {name}\nStatus: {status}\nArchitecture: amd64\n{(source is null ? "" : $"Source: {source}\n")}Version: {version}\nDescription: test\n multi-line\n .\n description\n\n";

    private static async Task<ImageAnalysis> AnalyzeAsync(MemoryBlobSource blobs, ImageToScan image, ILayerIndexStore? cache = null, ScanLimits? limits = null) =>
        await new ImageAnalyzer(cache, limits ?? ScanLimits.Default).AnalyzeAsync(image, blobs, null, CancellationToken.None);

    [Fact]
    public async Task A_pnpm_or_yarn_lock_entry_installed_under_its_project_is_reported_once_from_the_installed_package()
    {
        var blobs = new MemoryBlobSource();
        const string pnpmLock = "lockfileVersion: '9.0'\n\npackages:\n\n  lodash@4.17.15:\n    resolution: {integrity: sha512-x}\n\n  minimist@1.2.0:\n    resolution: {integrity: sha512-y}\n";
        const string yarnLock = "# yarn lockfile v1\n\nlodash@4.17.15:\n  version \"4.17.15\"\n";
        var layer = new TestLayer()
            .File("./app/pnpm-lock.yaml", pnpmLock)
            .File("./app/node_modules/.pnpm/lodash@4.17.15/node_modules/lodash/package.json", "{\"name\":\"lodash\",\"version\":\"4.17.15\",\"license\":\"MIT\"}")
            .File("./web/yarn.lock", yarnLock)
            .File("./web/node_modules/lodash/package.json", "{\"name\":\"lodash\",\"version\":\"4.17.15\"}")
            .Gzip();
        var result = await AnalyzeAsync(blobs, TestBlobs.Image(blobs, layer));

        var packages = result.Inventory.Packages.Select(p => $"{p.Name}@{p.Version} {p.Path}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(
        [
            "lodash@4.17.15 /app/node_modules/.pnpm/lodash@4.17.15/node_modules/lodash/package.json",
            "lodash@4.17.15 /web/node_modules/lodash/package.json",
            // minimist is in the lock only (nothing installed): it stays, from the lock file.
            "minimist@1.2.0 /app/pnpm-lock.yaml",
        ], packages);
    }

    [Fact]
    public async Task Bookworm_status_behind_an_os_release_symlink_gives_every_installed_package_with_distro_purls()
    {
        var blobs = new MemoryBlobSource();
        var layer = new TestLayer()
            .Dir("./etc/").Dir("./usr/").Dir("./usr/lib/")
            .File("./usr/lib/os-release", BookwormOsRelease)
            .Symlink("./etc/os-release", "../usr/lib/os-release")
            .File("./var/lib/dpkg/status", await File.ReadAllBytesAsync(BookwormStatus))
            .Gzip();
        var image = TestBlobs.Image(blobs, layer);

        var result = await AnalyzeAsync(blobs, image);

        var inv = result.Inventory;
        Assert.Equal(new OsInfo("debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)"), inv.Os);
        Assert.Equal("linux/amd64", inv.Platform);
        Assert.Empty(inv.Warnings);
        var expected = (await File.ReadAllLinesAsync("/work/shared/vulndata/debian/bookworm-minbase-packages.tsv")).Skip(1)
            .Select(l => l.Split('\t')).Where(f => f[5] == "install ok installed")
            .Select(f => (f[0], f[1], f[3], f[4])).OrderBy(x => x).ToList();
        var actual = inv.Packages.Select(p => (p.Name, p.Version, p.SourceName!, p.SourceVersion ?? p.Version)).OrderBy(x => x).ToList();
        Assert.Equal(88, expected.Count);
        Assert.Equal(expected, actual);
        Assert.All(inv.Packages, p => Assert.Equal(image.Layers[0].Digest.ToString(), p.LayerDigest));
        Assert.All(inv.Packages, p => Assert.Equal("/var/lib/dpkg/status", p.Path));
        var libc = Assert.Single(inv.Packages, p => p.Name == "libc6");
        Assert.Equal("glibc", libc.SourceName);
        Assert.Equal("pkg:deb/debian/libc6@2.36-9+deb12u14?arch=amd64&distro=debian-12", libc.Purl);
        var layerInfo = Assert.Single(inv.Layers);
        Assert.Equal("RUN step 0", layerInfo.CreatedBy);
        Assert.True(layerInfo.UncompressedSize > layer.Length);
        Assert.Equal(1, result.LayersRead);
    }

    [Fact]
    public async Task Dpkg_packages_are_attributed_to_the_lowest_layer_they_stayed_from_upgrades_and_removals_apply()
    {
        var blobs = new MemoryBlobSource();
        var l0 = new TestLayer().File("etc/os-release", BookwormOsRelease)
            .File("var/lib/dpkg/status", Stanza("base", "1.0") + Stanza("libfoo", "1.0", "foo (1.0-src)") + Stanza("gone", "1.0")).Gzip();
        var l1 = new TestLayer()
            .File("var/lib/dpkg/status", Stanza("base", "1.0") + Stanza("libfoo", "2.0", "foo") + Stanza("gone", "1.0") + Stanza("added", "3.0")).Gzip();
        var l2 = new TestLayer()
            .File("var/lib/dpkg/status", Stanza("base", "1.0") + Stanza("libfoo", "2.0", "foo") + Stanza("added", "3.0") + Stanza("removed-state", "1.0", status: "deinstall ok config-files")).Gzip();
        var image = TestBlobs.Image(blobs, l0, l1, l2);

        var inv = (await AnalyzeAsync(blobs, image)).Inventory;

        string D(int i) => image.Layers[i].Digest.ToString();
        Assert.Equal(
            [("added", "3.0", D(1)), ("base", "1.0", D(0)), ("libfoo", "2.0", D(1))],
            inv.Packages.Select(p => (p.Name, p.Version, p.LayerDigest!)).ToList());
        Assert.Equal(["RUN step 0", "RUN step 1", "RUN step 2"], inv.Layers.Select(l => l.CreatedBy!).ToList());
    }

    [Fact]
    public async Task A_whiteout_deletes_a_package_file_and_an_opaque_directory_hides_the_lower_content()
    {
        var blobs = new MemoryBlobSource();
        string StatusD(string name, string version) => $"Package: {name}\nVersion: {version}\nArchitecture: amd64\n";
        var l0 = new TestLayer()
            .File("var/lib/dpkg/status.d/libssl3", StatusD("libssl3", "3.0.11-1~deb12u2"))
            .File("var/lib/dpkg/status.d/libssl3.md5sums", "abc  usr/lib/libssl.so.3\n")
            .File("var/lib/dpkg/status.d/zlib1g", StatusD("zlib1g", "1:1.2.13.dfsg-1"))
            .File("opt/app/keep", "x").Gzip();
        var l1 = new TestLayer().Whiteout("var/lib/dpkg/status.d/libssl3").Gzip();
        var l2 = new TestLayer().Opaque("opt/app").File("opt/app/new", "y").Gzip();
        var image = TestBlobs.Image(blobs, l0, l1, l2);

        var result = await AnalyzeAsync(blobs, image);

        var pkg = Assert.Single(result.Inventory.Packages);
        Assert.Equal(("zlib1g", "1:1.2.13.dfsg-1", "/var/lib/dpkg/status.d/zlib1g"), (pkg.Name, pkg.Version, pkg.Path));
        Assert.Null(result.Inventory.Os);
        Assert.Equal("pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64", pkg.Purl);
        var files = result.Size.LargestFiles.Select(f => f.Path).Order().ToList();
        Assert.Equal(["/opt/app/new", "/var/lib/dpkg/status.d/libssl3.md5sums", "/var/lib/dpkg/status.d/zlib1g"], files);
        Assert.Contains(result.Size.WastedFiles, w => w.Path == "/var/lib/dpkg/status.d/libssl3" && w.Deleted && w.RemovedBy == image.Layers[1].Digest.ToString());
        Assert.Contains(result.Size.WastedFiles, w => w.Path == "/opt/app/keep" && w.Deleted && w.RemovedBy == image.Layers[2].Digest.ToString());
    }

    [Fact]
    public async Task A_second_image_sharing_the_base_layer_reads_only_its_new_layer()
    {
        var cache = new MemoryLayerIndexStore();
        var blobs = new MemoryBlobSource();
        var baseLayer = new TestLayer().File("etc/os-release", BookwormOsRelease).File("var/lib/dpkg/status", Stanza("base", "1.0")).Gzip();
        var a = TestBlobs.Image(blobs, baseLayer, new TestLayer().File("app/a", "a").Gzip());
        var b = TestBlobs.Image(blobs, baseLayer, new TestLayer().File("var/lib/dpkg/status", Stanza("base", "1.0") + Stanza("curl", "7.88.1-10")).Gzip());

        long before = ImageAnalyzer.LayersReadTotal;
        var first = await AnalyzeAsync(blobs, a, cache);
        var second = await AnalyzeAsync(blobs, b, cache);
        var again = await AnalyzeAsync(blobs, b, cache);

        Assert.Equal(2, first.LayersRead);
        Assert.Equal(1, second.LayersRead);
        Assert.Equal(0, again.LayersRead);
        Assert.True(ImageAnalyzer.LayersReadTotal - before >= 3);
        Assert.Equal(3, cache.Count);
        Assert.Equal(second.Inventory.Packages.Select(p => (p.Purl, p.Path, p.LayerDigest)), again.Inventory.Packages.Select(p => (p.Purl, p.Path, p.LayerDigest)));
        Assert.Equal(
            [("base", b.Layers[0].Digest.ToString()), ("curl", b.Layers[1].Digest.ToString())],
            again.Inventory.Packages.Select(p => (p.Name, p.LayerDigest!)).ToList());
        Assert.Equal("pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12", again.Inventory.Packages[1].Purl);
    }

    [Theory]
    [InlineData(TestBlobs.Gz)]
    [InlineData(TestBlobs.ZstdType)]
    [InlineData(TestBlobs.PlainTar)]
    [InlineData("application/vnd.docker.image.rootfs.diff.tar.gzip")]
    public async Task Every_layer_compression_is_read(string mediaType)
    {
        var layer = new TestLayer().File("var/lib/dpkg/status", Stanza("base", "1.0"));
        byte[] blob = mediaType switch
        {
            TestBlobs.ZstdType => layer.Zstd(),
            TestBlobs.PlainTar => layer.Tar(),
            _ => layer.Gzip(),
        };
        var blobs = new MemoryBlobSource();
        var result = await AnalyzeAsync(blobs, TestBlobs.Image(blobs, (blob, mediaType)));
        Assert.Empty(result.Inventory.Warnings);
        Assert.Equal("base", Assert.Single(result.Inventory.Packages).Name);
    }
}
