using System.Diagnostics;
using System.Text;
using Bollard.IntegrationTests.Interop;
using Bollard.Core.Mirror;
using Bollard.IntegrationTests.Mirror.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Mirror.Clients;

/// <summary>
/// An image as it was seeded on the upstream: a two-platform OCI index (linux/amd64 and linux/arm64, as Docker Hub's
/// official images are), its exact bytes, and what each platform consists of (manifest, config and layer digests).
/// </summary>
internal sealed record SeededImage(string Repository, string Tag, string IndexDigest, byte[] Index,
    string AmdManifest, IReadOnlyList<string> AmdBlobs, string ArmManifest, IReadOnlyList<string> ArmBlobs);

/// <summary>
/// One real-client mirror test's world: a real CNCF Distribution upstream (<see cref="UpstreamRegistry"/>) seeded with
/// images built by umoci (real tar+gzip layers a daemon can unpack) and pushed by skopeo, a <see cref="CountingProxy"/> in
/// front of it that counts what reaches the upstream, and a Bollard whose <c>docker.io</c> upstream is that proxy, with
/// docker.io as its transparent upstream (a Docker daemon's <c>registry-mirrors</c>, podman's mirror). Signatures are
/// not mirrored here, so every upstream request the proxy counts is one the client's pull caused (signatures and
/// referrers have their own tests).
/// </summary>
internal sealed class MirrorTestbed : IAsyncDisposable
{
    public const string UpstreamName = "docker.io";

    /// <summary>The upstream's TagTtl: longer than any test, so only <see cref="ExpireTags"/> makes a tag pull revalidate.</summary>
    private static readonly TimeSpan TagTtl = TimeSpan.FromMinutes(10);

    private readonly ITestOutputHelper _output;
    private readonly ManualClock _clock;

    private MirrorTestbed(string work, UpstreamRegistry registry, CountingProxy proxy, BollardServer bollard, ManualClock clock, ITestOutputHelper output) =>
        (Work, Registry, Proxy, Bollard, _clock, _output) = (work, registry, proxy, bollard, clock, output);

    public string Work { get; }

    public UpstreamRegistry Registry { get; }

    public CountingProxy Proxy { get; }

    public BollardServer Bollard { get; }

    /// <param name="transparent">
    /// Whether requests without the prefix and without <c>?ns=</c> go to docker.io (<c>Mirror:Transparent</c>): a Docker
    /// daemon and podman need it; containerd sends <c>?ns=docker.io</c> and is tested without it.
    /// </param>
    public static async Task<MirrorTestbed> StartAsync(ITestOutputHelper output, bool transparent = true)
    {
        ExternalTool.Require("skopeo");
        ExternalTool.Require("umoci");
        string work = TempDir.Create("bollard-mirror-clients-");
        var registry = await UpstreamRegistry.StartNewAsync();
        var proxy = await CountingProxy.StartNewAsync(registry.Url);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var bollard = await BollardServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mirror:Transparent"] = transparent ? UpstreamName : null,
            ["Mirror:Upstreams:0:Name"] = UpstreamName,
            ["Mirror:Upstreams:0:Url"] = proxy.Url,
            ["Mirror:Upstreams:0:TagTtl"] = TagTtl.ToString("c"),
            ["Mirror:Upstreams:0:MirrorSignatures"] = "false",
        }, output: output, time: clock);
        return new MirrorTestbed(work, registry, proxy, bollard, clock, output);
    }

    /// <summary>Moves Bollard's clock past the tag TTL: the next pull by tag asks the upstream (a HEAD) first.</summary>
    public void ExpireTags() => _clock.Advance(TagTtl + TimeSpan.FromMinutes(1));

    /// <summary>What the mirror counted for the docker.io upstream (hits, misses, stale serves).</summary>
    public MirrorCounters.Upstream Counters => Bollard.Services.GetRequiredService<MirrorCounters>().For(UpstreamName);

    /// <summary>Asserts that Bollard served a cached manifest stale at least <paramref name="atLeast"/> times: it asked the upstream, which was down.</summary>
    public void AssertServedStale(long atLeast)
    {
        Assert.True(Counters.StaleServed >= atLeast, $"stale serves: {Counters.StaleServed}, expected at least {atLeast}: the tag pull did not revalidate\n{Describe()}");
    }

    /// <summary>The prefix reference of <paramref name="image"/> on Bollard: <c>HOST/mirror/docker.io/library/alpine:3.20</c>.</summary>
    public string Prefixed(SeededImage image) => $"{Bollard.HostPort}/mirror/{UpstreamName}/{image.Repository}:{image.Tag}";

    public string PrefixedByDigest(SeededImage image) => $"{Bollard.HostPort}/mirror/{UpstreamName}/{image.Repository}@{image.IndexDigest}";

    /// <summary>
    /// Builds a two-platform image with umoci (a small text file and <paramref name="layerBytes"/> of random data, each
    /// its own layer, per platform) and pushes it, index and both platforms, straight to the upstream registry (not
    /// through the proxy) with <c>skopeo copy --all --preserve-digests</c>.
    /// </summary>
    public async Task<SeededImage> SeedAsync(string repository, string tag, int layerBytes = 256 * 1024)
    {
        var layout = await OciLayout.InitAsync(Path.Combine(Work, "seed-" + Guid.NewGuid().ToString("N")[..8]));
        await layout.NewImageAsync(tag + "-amd64", "amd64", ("/etc/alpine-release", 0), ("/lib/payload.bin", layerBytes));
        await layout.NewImageAsync(tag + "-arm64", "arm64", ("/etc/alpine-release", 0), ("/lib/payload.bin", layerBytes));
        layout.AddIndex(tag, (tag + "-amd64", "amd64"), (tag + "-arm64", "arm64"));
        await SkopeoCheckedAsync("copy", "--all", "--preserve-digests", "--dest-tls-verify=false",
            $"oci:{layout.Root}:{tag}", $"docker://{Registry.HostPort}/{repository}:{tag}");

        var (indexDigest, _, _) = layout.Resolve(tag);
        var (amd, _, _) = layout.Resolve(tag + "-amd64");
        var (arm, _, _) = layout.Resolve(tag + "-arm64");
        var raw = await SkopeoCheckedAsync("inspect", "--raw", "--tls-verify=false", $"docker://{Registry.HostPort}/{repository}:{tag}");
        byte[] index = Encoding.UTF8.GetBytes(raw.Stdout.TrimEnd('\n'));
        Assert.Equal(indexDigest, RegistryTestClient.Sha256(index));
        return new SeededImage(repository, tag, indexDigest, index,
            amd, Parts(layout, amd), arm, Parts(layout, arm));
    }

    private static List<string> Parts(OciLayout layout, string manifest)
    {
        var (config, layers) = OciLayout.ImageParts(layout.ReadBlob(manifest));
        return [config, .. layers];
    }

    /// <summary>skopeo with <c>--insecure-policy</c> (the machine's policy.json is not the test's business).</summary>
    public Task<ToolResult> SkopeoAsync(params string[] args) =>
        ExternalTool.RunAsync("skopeo", ["--insecure-policy", .. args], timeout: TimeSpan.FromMinutes(3),
            environment: new Dictionary<string, string> { ["XDG_DATA_HOME"] = Path.Combine(Work, "xdg-data") });

    public async Task<ToolResult> SkopeoCheckedAsync(params string[] args)
    {
        var result = await SkopeoAsync(args);
        Assert.True(result.ExitCode == 0, result.Describe() + "\n" + Describe());
        return result;
    }

    /// <summary>
    /// Waits until no request has reached the upstream for half a second (a pull's last fetch may still be finishing
    /// behind the client's back) and returns how many there were: the baseline of a "no upstream request" check.
    /// </summary>
    public async Task<int> QuietUpstreamAsync()
    {
        int count = Proxy.Requests.Count;
        var quiet = Stopwatch.StartNew();
        var total = Stopwatch.StartNew();
        while (quiet.Elapsed < TimeSpan.FromMilliseconds(500) && total.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
            int now = Proxy.Requests.Count;
            if (now != count) (count, quiet) = (now, Stopwatch.StartNew());
        }
        return count;
    }

    /// <summary>Asserts that the pull that got <paramref name="image"/> fetched its amd64 platform from the upstream once, and nothing of arm64.</summary>
    public void AssertFetchedOnce(SeededImage image)
    {
        foreach (string blob in image.AmdBlobs)
            Assert.True(Proxy.BlobGets(blob) == 1, $"upstream blob GETs of {blob}: {Proxy.BlobGets(blob)}, expected 1\n{Describe()}");
        Assert.True(Proxy.Count("/manifests/" + image.AmdManifest, "GET") == 1, $"the amd64 manifest was not fetched once\n{Describe()}");
        foreach (string blob in image.ArmBlobs)
            Assert.True(Proxy.BlobGets(blob) == 0, $"the arm64 blob {blob} was fetched: only the platform asked for may be\n{Describe()}");
        Assert.True(Proxy.Count("/manifests/" + image.ArmManifest) == 0, $"the arm64 manifest was fetched\n{Describe()}");
    }

    /// <summary>
    /// A client's report of an uncached pull while the upstream is down says the mirror's gateway failed: Bollard's own
    /// message where the client shows error bodies, else the 502 status line (containers/image and the Docker daemon
    /// show the body of 4xx answers only).
    /// </summary>
    public static void AssertUpstreamDownError(string clientError)
    {
        Assert.True(clientError.Contains("not cached", StringComparison.OrdinalIgnoreCase)
                    || clientError.Contains("502 Bad Gateway", StringComparison.OrdinalIgnoreCase),
            $"the client's error does not say the upstream failed:\n{clientError}");
    }

    /// <summary>What reached the upstream and the server's last log lines, for an assertion message.</summary>
    public string Describe()
    {
        var requests = Proxy.Requests;
        return $"upstream requests ({requests.Count}):\n  {string.Join("\n  ", requests.Select(r => $"{r.Method} {r.Path}"))}\n" +
               $"bollard log (last lines):\n{string.Join('\n', Bollard.RecentLog().Split('\n').TakeLast(40))}";
    }

    public void Log(string line)
    {
        try { _output.WriteLine(line); }
        catch (InvalidOperationException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await Bollard.DisposeAsync();
        await Proxy.DisposeAsync();
        await Registry.DisposeAsync();
        TempDir.Delete(Work);
    }
}
