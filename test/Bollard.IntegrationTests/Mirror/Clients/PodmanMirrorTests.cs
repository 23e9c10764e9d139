using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Mirror.Clients;

/// <summary>
/// Real podman with Bollard as docker.io's <c>[[registry.mirror]]</c> (and through the prefix): the pull gets the
/// upstream's image and fetches it once, a second pull after <c>podman rmi</c> makes no upstream request, and with the
/// upstream down the cached image comes by tag and digest while an uncached one fails with the mirror's error.
/// </summary>
public sealed class PodmanMirrorTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Podman_pull_fetches_once_then_hits_the_cache(bool prefix)
    {
        await using var bed = await MirrorTestbed.StartAsync(output);
        using var podman = new PodmanClient(bed.Bollard.HostPort);
        var image = await bed.SeedAsync("library/alpine", "3.20");
        string reference = prefix ? bed.Prefixed(image) : "docker.io/library/alpine:3.20";

        await PullAsync(bed, podman, reference, image);
        bed.AssertFetchedOnce(image);

        int before = await bed.QuietUpstreamAsync();
        await podman.RemoveAllImagesAsync();
        await PullAsync(bed, podman, reference, image);
        Assert.True(bed.Proxy.Requests.Count == before, $"the second pull (within the tag TTL) reached the upstream\n{bed.Describe()}");
    }

    [Fact]
    public async Task Podman_pull_with_the_upstream_down_gets_the_cached_image_by_tag_and_digest_and_a_clear_error_for_an_uncached_one()
    {
        await using var bed = await MirrorTestbed.StartAsync(output);
        using var podman = new PodmanClient(bed.Bollard.HostPort);
        var cached = await bed.SeedAsync("library/alpine", "3.20");
        var uncached = await bed.SeedAsync("library/alpine", "3.21");
        await PullAsync(bed, podman, "docker.io/library/alpine:3.20", cached);
        await podman.RemoveAllImagesAsync();

        await bed.Proxy.StopAsync();
        bed.ExpireTags(); // the pull by tag revalidates, finds the upstream down and serves the cache

        await PullAsync(bed, podman, "docker.io/library/alpine:3.20", cached);
        bed.AssertServedStale(1);
        await podman.RemoveAllImagesAsync();
        await PullAsync(bed, podman, "docker.io/library/alpine@" + cached.IndexDigest, cached);
        await PullAsync(bed, podman, bed.PrefixedByDigest(cached), cached);

        var failed = await podman.RunAsync("pull", "--tls-verify=false", bed.Prefixed(uncached));
        Assert.True(failed.ExitCode != 0, $"an uncached image came while the upstream was down: {failed.Describe()}");
        MirrorTestbed.AssertUpstreamDownError(failed.Stderr);
        // Through the mirror, podman falls back to Docker Hub (unreachable here) and lists why the mirror failed.
        var viaMirror = await podman.RunAsync("pull", "docker.io/library/alpine:" + uncached.Tag);
        Assert.True(viaMirror.ExitCode != 0, viaMirror.Describe());
        Assert.Contains(bed.Bollard.HostPort, viaMirror.Stderr, StringComparison.Ordinal);
        MirrorTestbed.AssertUpstreamDownError(viaMirror.Stderr);
    }

    /// <summary><c>podman pull REF</c>; asserts that podman stored the amd64 image of <paramref name="image"/> (its config digest is the image ID).</summary>
    private static async Task PullAsync(MirrorTestbed bed, PodmanClient podman, string reference, SeededImage image)
    {
        // Plain HTTP is allowed for the prefix only; the mirror is insecure by registries.conf, as a host would set it.
        string[] tls = reference.StartsWith(bed.Bollard.HostPort, StringComparison.Ordinal) ? ["--tls-verify=false"] : [];
        var pull = await podman.RunAsync(["pull", .. tls, "--arch", "amd64", reference]);
        Assert.True(pull.ExitCode == 0, $"{pull.Describe()}\n{bed.Describe()}");
        var inspect = await podman.RunAsync("image", "inspect", "--format", "{{.Id}} {{.Architecture}}", reference);
        Assert.True(inspect.ExitCode == 0, inspect.Describe());
        Assert.Equal($"{image.AmdBlobs[0]["sha256:".Length..]} amd64", inspect.Stdout.Trim());
    }
}
