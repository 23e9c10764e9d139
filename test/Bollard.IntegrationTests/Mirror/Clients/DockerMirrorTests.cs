using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Mirror.Clients;

/// <summary>
/// A real Docker daemon with <c>registry-mirrors</c> pointing at Bollard, whose docker.io upstream is a local
/// docker-registry: <c>docker pull alpine:3.20</c> goes through Bollard's transparent mirror (there is no internet here,
/// so the daemon's fallback to Docker Hub cannot serve it), fetches the amd64 platform from the upstream once, and a
/// second pull after <c>docker rmi</c> makes no upstream request. With the upstream down, the cached image still comes
/// by tag and by digest, and an uncached one fails.
/// </summary>
[Collection(DockerDaemonGroup.Name)]
public sealed class DockerMirrorTests(DockerDaemon docker, ITestOutputHelper output)
{
    [Fact]
    public async Task Docker_pull_through_registry_mirrors_fetches_once_then_hits_the_cache()
    {
        await using var bed = await MirrorTestbed.StartAsync(output);
        var image = await bed.SeedAsync("library/alpine", "3.20");
        await docker.UseMirrorAsync(bed.Bollard.HostPort);
        await docker.RemoveAllImagesAsync();

        await PullAsync(bed, "alpine:3.20", image);
        bed.AssertFetchedOnce(image);

        int before = await bed.QuietUpstreamAsync();
        await docker.RemoveAllImagesAsync();
        await PullAsync(bed, "alpine:3.20", image);
        Assert.True(bed.Proxy.Requests.Count == before, $"the second pull (within the tag TTL) reached the upstream\n{bed.Describe()}");
    }

    [Fact]
    public async Task Docker_pull_through_the_prefix_fetches_once_then_hits_the_cache()
    {
        await using var bed = await MirrorTestbed.StartAsync(output);
        var image = await bed.SeedAsync("library/alpine", "3.20");
        await docker.UseMirrorAsync(bed.Bollard.HostPort);
        await docker.RemoveAllImagesAsync();

        await PullAsync(bed, bed.Prefixed(image), image);
        bed.AssertFetchedOnce(image);

        int before = await bed.QuietUpstreamAsync();
        await docker.RemoveAllImagesAsync();
        await PullAsync(bed, bed.Prefixed(image), image);
        Assert.True(bed.Proxy.Requests.Count == before, $"the second pull reached the upstream\n{bed.Describe()}");
    }

    [Fact]
    public async Task Docker_pull_with_the_upstream_down_gets_the_cached_image_by_tag_and_digest_and_fails_for_an_uncached_one()
    {
        await using var bed = await MirrorTestbed.StartAsync(output);
        var cached = await bed.SeedAsync("library/alpine", "3.20");
        var uncached = await bed.SeedAsync("library/alpine", "3.21");
        await docker.UseMirrorAsync(bed.Bollard.HostPort);
        await docker.RemoveAllImagesAsync();
        await PullAsync(bed, "alpine:3.20", cached);
        await docker.RemoveAllImagesAsync();

        await bed.Proxy.StopAsync();
        bed.ExpireTags(); // the pull by tag revalidates, finds the upstream down and serves the cache

        await PullAsync(bed, "alpine:3.20", cached);
        bed.AssertServedStale(1);
        await docker.RemoveAllImagesAsync();
        await PullAsync(bed, "alpine@" + cached.IndexDigest, cached);

        int logFrom = docker.Log().Length;
        var failed = await docker.RunAsync("pull", "alpine:" + uncached.Tag);
        Assert.True(failed.ExitCode != 0, $"an uncached image came while the upstream was down: {failed.Describe()}");
        // The daemon falls back from the mirror to Docker Hub (unreachable here) and reports that last error; why the
        // mirror failed is in its log.
        string log = docker.Log()[logFrom..];
        var fallback = log.Split('\n').Where(l => l.Contains("Attempting next endpoint", StringComparison.Ordinal)).ToList();
        Assert.True(fallback.Count > 0, $"dockerd did not try the mirror first:\n{log}");
        MirrorTestbed.AssertUpstreamDownError(string.Join('\n', fallback));
    }

    /// <summary><c>docker pull REF</c>; asserts the daemon has the amd64 image of <paramref name="image"/> under that digest.</summary>
    private async Task PullAsync(MirrorTestbed bed, string reference, SeededImage image)
    {
        var pull = await docker.RunAsync("pull", reference);
        Assert.True(pull.ExitCode == 0, $"{pull.Describe()}\n{bed.Describe()}\n--- dockerd ---\n{docker.LogTail()}");
        Assert.Contains("Digest: " + image.IndexDigest, pull.Stdout, StringComparison.Ordinal);
        var inspect = await docker.RunAsync("image", "inspect", "--format", "{{.Id}} {{.Architecture}}", reference);
        Assert.True(inspect.ExitCode == 0, inspect.Describe());
        // The image ID is the config digest: the daemon unpacked exactly the upstream's amd64 image.
        Assert.Equal($"{image.AmdBlobs[0]} amd64", inspect.Stdout.Trim());
    }
}
