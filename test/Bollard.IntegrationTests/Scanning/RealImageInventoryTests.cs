using System.Text.Json.Nodes;
using Xunit.Abstractions;
using Bollard.Core.Scanning;
using Bollard.Scanning.Layers;
using Bollard.Scanning.Sources;

namespace Bollard.IntegrationTests.Scanning;

/// <summary>
/// The engine on real images (<c>scripts/scan-fixtures.sh</c>: debootstrap, npm, dotnet publish, Debian python
/// packages, an Alpine apk database, go build; layers, whiteouts and history written by umoci), read from their OCI
/// layout exactly as <c>bollard scan oci:DIR:TAG</c> reads them. Expected packages come from the tools that made the
/// images (dpkg's own status of the debootstrap root, npm's install, the deps.json, the dist-info folders).
/// </summary>
[Collection(RealImageGroup.Name)]
public sealed class RealImageInventoryTests(RealImageFixture images, ITestOutputHelper output)
{
    [Fact]
    public async Task Bookworm_minbase_inventory_is_every_installed_dpkg_package_with_source_and_distro()
    {
        var inventory = await images.InventoryAsync("bookworm");

        Assert.Equal("debian", inventory.Os?.Id);
        Assert.Equal("12", inventory.Os?.VersionId);
        Assert.Equal("bookworm", inventory.Os?.Codename);
        Assert.Equal("linux/amd64", inventory.Platform);

        // dpkg-query on the image's own status file is the reference (the fixture's root was made by debootstrap).
        var expected = await images.DpkgQueryAsync("bookworm");
        var debs = inventory.Packages.Where(p => p.Type == PackageTypes.Deb).ToList();
        Assert.Equal(expected.Keys.Order(), debs.Select(p => p.Name).Order());
        foreach (var p in debs)
        {
            Assert.Equal(expected[p.Name].Version, p.Version);
            Assert.Equal(expected[p.Name].Source, p.SourceName ?? p.Name);
            Assert.Equal(inventory.Layers[0].Digest, p.LayerDigest);
            Assert.StartsWith($"pkg:deb/debian/{p.Name}@", p.Purl, StringComparison.Ordinal);
            Assert.Contains("distro=debian-12", p.Purl, StringComparison.Ordinal);
        }
        // Binary and source names differ for many packages; the advisories are keyed by source.
        Assert.Equal("gnutls28", debs.Single(p => p.Name == "libgnutls30").SourceName);
        Assert.Equal("glibc", debs.Single(p => p.Name == "libc6").SourceName);
        Assert.Equal("debootstrap --variant=minbase bookworm", inventory.Layers[0].CreatedBy);
        Assert.True(inventory.Layers[0].UncompressedSize > inventory.Layers[0].Size, "uncompressed size is measured while reading");
    }

    [Fact]
    public async Task Npm_layer_packages_are_attributed_to_their_layer()
    {
        var inventory = await images.InventoryAsync("bookworm-npm");
        var npm = inventory.Packages.Where(p => p.Type == PackageTypes.Npm).ToList();

        // Installed (node_modules) and locked (package-lock.json): one package, from the installed copy.
        var lodash = Assert.Single(npm, p => p.Name == "lodash");
        Assert.Equal("4.17.15", lodash.Version);
        Assert.Equal("/app/node_modules/lodash/package.json", lodash.Path);
        Assert.Equal(inventory.Layers[1].Digest, lodash.LayerDigest);
        Assert.Contains(npm, p => p is { Name: "minimist", Version: "1.2.0" });
        Assert.Contains(npm, p => p.Purl == "pkg:npm/lodash@4.17.15");
        // The Debian packages still come from the base layer.
        Assert.All(inventory.Packages.Where(p => p.Type == PackageTypes.Deb), p => Assert.Equal(inventory.Layers[0].Digest, p.LayerDigest));
    }

    [Fact]
    public async Task A_later_layer_that_deletes_a_package_removes_it_and_an_upgrade_replaces_the_version()
    {
        string removedDeb = await ScanFixtures.RemovedDebAsync();
        var removed = await images.InventoryAsync("bookworm-npm-removed");
        Assert.DoesNotContain(removed.Packages, p => p.Name == "lodash");
        Assert.DoesNotContain(removed.Packages, p => p.Name == removedDeb);
        Assert.Contains(removed.Packages, p => p is { Name: "minimist", Version: "1.2.0" });
        var expected = await images.DpkgQueryAsync("bookworm-npm-removed");
        Assert.Equal(expected.Keys.Order(), removed.Packages.Where(p => p.Type == PackageTypes.Deb).Select(p => p.Name).Order());

        var upgraded = await images.InventoryAsync("bookworm-npm-upgraded");
        var npm = upgraded.Packages.Where(p => p.Type == PackageTypes.Npm).ToList();
        Assert.Contains(npm, p => p is { Name: "lodash", Version: "4.17.21" });
        Assert.Contains(npm, p => p is { Name: "minimist", Version: "1.2.8" });
        Assert.DoesNotContain(npm, p => p.Version is "4.17.15" or "1.2.0");
        Assert.All(npm.Where(p => p.Name is "lodash" or "minimist"), p => Assert.Equal(upgraded.Layers[2].Digest, p.LayerDigest));
    }

    [Fact]
    public async Task Dotnet_python_alpine_and_go_images_list_their_packages()
    {
        var dotnet = await images.InventoryAsync("dotnet");
        Assert.Contains(dotnet.Packages, p => p is { Type: PackageTypes.NuGet, Name: "Newtonsoft.Json", Version: "12.0.1" });

        var python = await images.InventoryAsync("python");
        var pypi = python.Packages.Where(p => p.Type == PackageTypes.PyPI).ToList();
        foreach (string distInfo in await images.DistInfoNamesAsync("python"))
        {
            // "urllib3-1.26.12.dist-info" is what Debian's package installed: the name and version must be reported.
            int dash = distInfo.IndexOf('-', StringComparison.Ordinal);
            string name = distInfo[..dash], version = distInfo[(dash + 1)..^".dist-info".Length];
            Assert.Contains(pypi, p => string.Equals(p.Name.Replace('-', '_'), name.Replace('-', '_'), StringComparison.OrdinalIgnoreCase) && p.Version == version);
        }
        Assert.NotEmpty(pypi);

        var alpine = await images.InventoryAsync("alpine");
        Assert.Equal("alpine", alpine.Os?.Id);
        Assert.Contains(alpine.Packages, p => p is { Type: PackageTypes.Apk, Name: "musl" });

        var go = await images.InventoryAsync("go");
        Assert.Contains(go.Packages, p => p is { Type: PackageTypes.Golang, Name: "golang.org/x/text", Version: "v0.3.7" });
        Assert.Contains(go.Packages, p => p.Type == PackageTypes.Golang && p.Name == "stdlib");
    }

    [Fact]
    public async Task Cdxgen_on_the_same_image_finds_no_OS_package_that_Bollard_misses()
    {
        string? cdxgen = Environment.GetEnvironmentVariable("BOLLARD_CDXGEN");
        Assert.False(string.IsNullOrEmpty(cdxgen), "BOLLARD_CDXGEN is not set: scripts/test.sh installs @cyclonedx/cdxgen and sets it");
        var inventory = await images.InventoryAsync("bookworm-npm");
        var bom = await images.CdxgenRootfsAsync("bookworm-npm", cdxgen!);

        // cdxgen lists binary packages and, separately, their source packages (as pkg:deb too): each of its deb
        // purls must be a package Bollard reports, by binary name or by source name, at the same version.
        var ours = inventory.Packages.Where(p => p.Type == PackageTypes.Deb).ToList();
        var theirs = bom["components"]!.AsArray()
            .Select(c => c?["purl"]?.GetValue<string>())
            .OfType<string>()
            .Where(p => p.StartsWith("pkg:deb/", StringComparison.Ordinal))
            .Distinct()
            .ToList();
        Assert.NotEmpty(theirs);
        var missing = theirs.Where(purl =>
        {
            var (name, version) = PurlNameVersion(purl);
            return !ours.Any(p => (p.Name == name && p.Version == version) || (p.SourceName == name && (p.SourceVersion ?? p.Version) == version));
        }).ToList();
        Assert.True(missing.Count == 0, $"cdxgen found {missing.Count} OS packages Bollard did not: {string.Join(", ", missing)}");

        var theirNpm = bom["components"]!.AsArray().Select(c => c?["purl"]?.GetValue<string>()).OfType<string>()
            .Where(p => p.StartsWith("pkg:npm/", StringComparison.Ordinal) && !p.StartsWith("pkg:npm/app@", StringComparison.Ordinal)).ToList();
        Assert.All(theirNpm, purl => Assert.Contains(inventory.Packages, p => p.Purl == purl));
        output.WriteLine($"cdxgen: {theirs.Count} deb purls, {theirNpm.Count} npm; Bollard: {ours.Count} deb packages, {inventory.Packages.Count} in all");
    }

    private static (string Name, string Version) PurlNameVersion(string purl)
    {
        string body = purl.Split('?')[0];
        string nameAt = body[(body.LastIndexOf('/') + 1)..];
        int at = nameAt.IndexOf('@', StringComparison.Ordinal);
        return (Uri.UnescapeDataString(nameAt[..at]), Uri.UnescapeDataString(nameAt[(at + 1)..]));
    }
}

[CollectionDefinition(Name)]
public sealed class RealImageGroup : ICollectionFixture<RealImageFixture>
{
    public const string Name = "real images";
}

/// <summary>The fixture layout, inventories analyzed once per tag, and unpacked roots for reference tools.</summary>
public sealed class RealImageFixture : IAsyncLifetime
{
    private readonly Dictionary<string, Task<ImageInventory>> inventories = [];
    private readonly Dictionary<string, Task<string>> roots = [];
    private readonly string work = TempDir.Create("bollard-real-images-");
    private readonly MemoryLayerIndexStore cache = new();

    public Task InitializeAsync() => ScanFixtures.FolderAsync();

    public Task DisposeAsync()
    {
        TempDir.Delete(work);
        return Task.CompletedTask;
    }

    public Task<ImageInventory> InventoryAsync(string tag)
    {
        lock (inventories)
        {
            if (!inventories.TryGetValue(tag, out var task)) inventories[tag] = task = AnalyzeAsync(tag);
            return task;
        }
    }

    private async Task<ImageInventory> AnalyzeAsync(string tag)
    {
        string layout = Path.Combine(await ScanFixtures.FolderAsync(), "oci");
        using var source = new OciLayoutSource(layout, tag);
        var resolved = await source.ResolveAsync(PlatformSelection.Default, CancellationToken.None);
        var analysis = await new ImageAnalyzer(cache, ScanLimits.Default).AnalyzeAsync(Assert.Single(resolved).Image, source, null, CancellationToken.None);
        Assert.True(analysis.Inventory.Warnings.Count == 0, $"{tag}: {string.Join("; ", analysis.Inventory.Warnings)}");
        return analysis.Inventory;
    }

    /// <summary>The image unpacked by umoci (a real tool), for dpkg-query and cdxgen.</summary>
    public Task<string> RootfsAsync(string tag)
    {
        lock (roots)
        {
            if (!roots.TryGetValue(tag, out var task)) roots[tag] = task = UnpackAsync(tag);
            return task;
        }
    }

    private async Task<string> UnpackAsync(string tag)
    {
        string bundle = Path.Combine(work, "bundle-" + tag);
        await ExternalTool.RunCheckedAsync("umoci", ["unpack", "--rootless", "--image", $"{Path.Combine(await ScanFixtures.FolderAsync(), "oci")}:{tag}", bundle],
            timeout: TimeSpan.FromMinutes(5));
        return Path.Combine(bundle, "rootfs");
    }

    /// <summary>Installed packages per dpkg itself: name -> (version, source name).</summary>
    public async Task<Dictionary<string, (string Version, string Source)>> DpkgQueryAsync(string tag)
    {
        string root = await RootfsAsync(tag);
        var result = await ExternalTool.RunCheckedAsync("dpkg-query",
            ["--admindir", Path.Combine(root, "var/lib/dpkg"), "-W", "-f", "${db:Status-Abbrev}\t${Package}\t${Version}\t${source:Package}\n"]);
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t'))
            .Where(f => f[0].StartsWith("ii", StringComparison.Ordinal))
            .ToDictionary(f => f[1], f => (f[2], f[3]));
    }

    /// <summary>The <c>*.dist-info</c> folder names of an image's site-packages.</summary>
    public async Task<List<string>> DistInfoNamesAsync(string tag) =>
        Directory.EnumerateDirectories(await RootfsAsync(tag), "*.dist-info", SearchOption.AllDirectories).Select(Path.GetFileName).OfType<string>().ToList();

    /// <summary>cdxgen's CycloneDX of the unpacked root file system (<c>cdxgen -t rootfs</c>).</summary>
    public async Task<JsonNode> CdxgenRootfsAsync(string tag, string cdxgen)
    {
        string root = await RootfsAsync(tag);
        string output = Path.Combine(work, $"cdxgen-{tag}.json");
        await ExternalTool.RunCheckedAsync(cdxgen, ["-t", "rootfs", root, "-o", output, "--no-install-deps"], timeout: TimeSpan.FromMinutes(10),
            environment: new Dictionary<string, string> { ["CDXGEN_TEMP_DIR"] = Path.Combine(work, "cdxgen-tmp"), ["FETCH_LICENSE"] = "false" });
        return JsonNode.Parse(await File.ReadAllTextAsync(output))!;
    }
}
