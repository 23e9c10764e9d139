using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Mirror.Clients;

/// <summary>
/// A real containerd with a <c>hosts.toml</c> that mirrors docker.io through Bollard: containerd asks for
/// <c>library/alpine</c> with <c>?ns=docker.io</c>, and Bollard (without a transparent default, so only <c>ns</c> can
/// route it) serves docker.io's image, fetched once; the second pull after <c>ctr images rm --sync</c> makes no upstream
/// request. With the upstream down, the cached image comes by tag and digest and an uncached one fails.
/// </summary>
[Collection(ContainerdDaemonGroup.Name)]
public sealed class ContainerdMirrorTests(ContainerdDaemon containerd, ITestOutputHelper output)
{
    [Fact]
    public async Task Ctr_pull_with_a_hosts_toml_mirror_fetches_once_then_hits_the_cache()
    {
        await using var bed = await MirrorTestbed.StartAsync(output, transparent: false);
        var image = await bed.SeedAsync("library/alpine", "3.20");
        string hosts = ContainerdDaemon.WriteHostsDir(bed.Work, bed.Bollard.HostPort);
        string ns = "hit-" + Guid.NewGuid().ToString("N")[..8];

        await PullAsync(bed, ns, hosts, "docker.io/library/alpine:3.20", image);
        bed.AssertFetchedOnce(image);

        int before = await bed.QuietUpstreamAsync();
        await containerd.RemoveAllImagesAsync(ns);
        await PullAsync(bed, ns, hosts, "docker.io/library/alpine:3.20", image);
        Assert.True(bed.Proxy.Requests.Count == before, $"the second pull (within the tag TTL) reached the upstream\n{bed.Describe()}");
    }

    [Fact]
    public async Task Ctr_pull_with_the_upstream_down_gets_the_cached_image_by_tag_and_digest_and_fails_for_an_uncached_one()
    {
        await using var bed = await MirrorTestbed.StartAsync(output, transparent: false);
        var cached = await bed.SeedAsync("library/alpine", "3.20");
        var uncached = await bed.SeedAsync("library/alpine", "3.21");
        string hosts = ContainerdDaemon.WriteHostsDir(bed.Work, bed.Bollard.HostPort);
        string ns = "down-" + Guid.NewGuid().ToString("N")[..8];
        await PullAsync(bed, ns, hosts, "docker.io/library/alpine:3.20", cached);
        await containerd.RemoveAllImagesAsync(ns);

        await bed.Proxy.StopAsync();
        bed.ExpireTags(); // the pull by tag revalidates, finds the upstream down and serves the cache

        await PullAsync(bed, ns, hosts, "docker.io/library/alpine:3.20", cached);
        bed.AssertServedStale(1);
        await containerd.RemoveAllImagesAsync(ns);
        await PullAsync(bed, ns, hosts, "docker.io/library/alpine@" + cached.IndexDigest, cached);

        var failed = await containerd.PullAsync(ns, hosts, "docker.io/library/alpine:" + uncached.Tag);
        Assert.True(failed.ExitCode != 0, $"an uncached image came while the upstream was down: {failed.Describe()}");
        // containerd reports the first non-404 failure among its hosts: the mirror's.
        Assert.Contains(bed.Bollard.HostPort, failed.Stderr, StringComparison.Ordinal);
        MirrorTestbed.AssertUpstreamDownError(failed.Stderr);
    }

    /// <summary><c>ctr images pull</c>; asserts that containerd holds <paramref name="image"/>'s index and unpacked its amd64 platform.</summary>
    private async Task PullAsync(MirrorTestbed bed, string ns, string hosts, string reference, SeededImage image)
    {
        var pull = await containerd.PullAsync(ns, hosts, reference);
        Assert.True(pull.ExitCode == 0, $"{pull.Describe()}\n{bed.Describe()}\n--- containerd ---\n{containerd.LogTail()}");
        Assert.Contains($"unpacking linux/amd64 {image.IndexDigest}", pull.Stdout, StringComparison.Ordinal);
        var list = await containerd.CtrInAsync(ns, "images", "ls");
        Assert.True(list.ExitCode == 0, list.Describe());
        Assert.Contains(list.Stdout.Split('\n'), l => l.StartsWith(reference + " ", StringComparison.Ordinal) && l.Contains(image.IndexDigest, StringComparison.Ordinal));
        // Every blob of the amd64 image is in the content store with its digest (containerd verified them while writing).
        var content = await containerd.CtrInAsync(ns, "content", "ls", "--quiet");
        foreach (string blob in image.AmdBlobs) Assert.Contains(blob, content.Stdout, StringComparison.Ordinal);
    }
}
