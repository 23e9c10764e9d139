using Bollard.IntegrationTests.Interop;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Mirror.Clients;

/// <summary>
/// Real skopeo (containers/image) through the mirror's prefix (<c>HOST/mirror/docker.io/library/alpine:3.20</c>): it gets
/// the upstream's exact bytes, a second pull is served without any upstream request, and with the upstream down the
/// cached image still comes by tag and by digest while an uncached one fails with the mirror's own error.
/// </summary>
public sealed class SkopeoMirrorTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Skopeo_copy_through_the_prefix_gets_the_upstream_bytes_then_hits_the_cache()
    {
        await using var bed = await MirrorTestbed.StartAsync(output);
        var image = await bed.SeedAsync("library/alpine", "3.20");

        var first = await CopyOutAsync(bed, bed.Prefixed(image), "first");
        bed.AssertFetchedOnce(image);
        AssertPlatformImage(first, image);

        // Byte-exact: the index by tag and the platform manifest by digest are the upstream's own bytes.
        var index = await bed.SkopeoCheckedAsync("inspect", "--raw", "--tls-verify=false", $"docker://{bed.Prefixed(image)}");
        Assert.Equal(System.Text.Encoding.UTF8.GetString(image.Index), index.Stdout.TrimEnd('\n'));
        string platform = $"docker://{bed.Bollard.HostPort}/mirror/{MirrorTestbed.UpstreamName}/{image.Repository}@{image.AmdManifest}";
        string upstreamPlatform = $"docker://{bed.Registry.HostPort}/{image.Repository}@{image.AmdManifest}";
        var mine = await bed.SkopeoCheckedAsync("inspect", "--raw", "--tls-verify=false", platform);
        var theirs = await bed.SkopeoCheckedAsync("inspect", "--raw", "--tls-verify=false", upstreamPlatform);
        Assert.Equal(theirs.Stdout, mine.Stdout);

        int before = await bed.QuietUpstreamAsync();
        var second = await CopyOutAsync(bed, bed.Prefixed(image), "second");
        AssertPlatformImage(second, image);
        Assert.True(bed.Proxy.Requests.Count == before, $"the second pull (within the tag TTL) reached the upstream\n{bed.Describe()}");
    }

    [Fact]
    public async Task Skopeo_with_the_upstream_down_gets_the_cached_image_by_tag_and_digest_and_a_clear_error_for_an_uncached_one()
    {
        await using var bed = await MirrorTestbed.StartAsync(output);
        var cached = await bed.SeedAsync("library/alpine", "3.20");
        var uncached = await bed.SeedAsync("library/alpine", "3.21");
        await CopyOutAsync(bed, bed.Prefixed(cached), "warm");

        await bed.Proxy.StopAsync();
        bed.ExpireTags(); // the pull by tag revalidates, finds the upstream down and serves the cache

        AssertPlatformImage(await CopyOutAsync(bed, bed.Prefixed(cached), "by-tag"), cached);
        bed.AssertServedStale(1);
        AssertPlatformImage(await CopyOutAsync(bed, bed.PrefixedByDigest(cached), "by-digest"), cached);
        var index = await bed.SkopeoCheckedAsync("inspect", "--raw", "--tls-verify=false", $"docker://{bed.Prefixed(cached)}");
        Assert.Equal(System.Text.Encoding.UTF8.GetString(cached.Index), index.Stdout.TrimEnd('\n'));

        var failed = await bed.SkopeoAsync("copy", "--src-tls-verify=false", $"docker://{bed.Prefixed(uncached)}", $"oci:{Path.Combine(bed.Work, "uncached")}:x");
        Assert.True(failed.ExitCode != 0, $"an uncached image came while the upstream was down: {failed.Describe()}");
        MirrorTestbed.AssertUpstreamDownError(failed.Stderr);
    }

    /// <summary><c>skopeo copy docker://REF oci:DIR:TAG</c> (the platform of this machine, digests preserved); returns the layout.</summary>
    private static async Task<OciLayout> CopyOutAsync(MirrorTestbed bed, string reference, string name)
    {
        string dir = Path.Combine(bed.Work, name);
        await bed.SkopeoCheckedAsync("copy", "--preserve-digests", "--src-tls-verify=false", $"docker://{reference}", $"oci:{dir}:pulled");
        return new OciLayout(dir);
    }

    /// <summary>The layout holds the amd64 image of <paramref name="image"/>: its manifest digest and every blob byte for byte.</summary>
    private static void AssertPlatformImage(OciLayout layout, SeededImage image)
    {
        var (digest, _, _) = layout.Resolve("pulled");
        Assert.Equal(image.AmdManifest, digest);
        foreach (string blob in image.AmdBlobs) Assert.Equal(blob, RegistryTestClient.Sha256(layout.ReadBlob(blob)));
    }
}
