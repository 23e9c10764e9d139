using System.Net;
using System.Text.Json.Nodes;
using Bollard.IntegrationTests.Mirror.Support;
using Bollard.IntegrationTests.Scanning;
using Bollard.Trust.Keys;
using static Bollard.IntegrationTests.Trust.PolicyTestSupport;

namespace Bollard.IntegrationTests.Mirror;

/// <summary>
/// Images that come in through the mirror get the same gate and the same scanning as pushed ones. The upstream is a
/// real Distribution; the image is signed there the way cosign signs (its <c>docker-reference</c> names the upstream's
/// host and repository, never Bollard's <c>mirror/...</c> path), and an enforcing policy on the mirror namespace lets
/// exactly the signed image through, on its first pull. With scanning on, a mirrored image is scanned and gets its SBOM
/// referrer although no client ever pulled its layers (the scanner fetches them through the mirror).
/// </summary>
public sealed class MirrorTrustAndScanTests : IAsyncLifetime
{
    private readonly string _work = TempDir.Create("bollard-mirror-trust-");
    private UpstreamRegistry _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamRegistry.StartNewAsync();

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        TempDir.Delete(_work);
    }

    private static string Unique(string prefix) => $"{prefix}{Guid.NewGuid().ToString("N")[..8]}";

    private Dictionary<string, string?> MirrorSettings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Mirror:Upstreams:0:Name"] = "local",
            ["Mirror:Upstreams:0:Url"] = _upstream.Url,
            ["Mirror:Upstreams:0:Timeout"] = "00:00:20",
            ["Jobs:PollInterval"] = "00:00:00.100",
        };
        foreach (var (k, v) in extra) settings[k] = v;
        return settings;
    }

    [Fact]
    public async Task An_enforcing_policy_on_the_mirror_admits_the_upstream_image_signed_upstream_on_its_first_pull_and_denies_the_unsigned()
    {
        var dev = LocalSigner.GenerateEcdsaP256();
        var upstreamClient = _upstream.Client;
        string signedRepo = Unique("library/signed");
        string unsignedRepo = Unique("library/unsigned");
        var (_, signedDigest) = await upstreamClient.PushImageAsync(signedRepo, "1", layers: 1);
        await upstreamClient.PushImageAsync(unsignedRepo, "1", layers: 1);
        // Signed upstream as cosign would sign an image there: the reference is the upstream's host and repository.
        await SignCosignAsync(upstreamClient, _upstream.HostPort, signedRepo, signedDigest, dev);

        await using var access = await AccessServer.StartAsync(MirrorSettings());
        await PutPolicyOkAsync(access.AdminApi, Policy("mirrored", "mirror/local/**", "enforce",
            new Dictionary<string, LocalSigner> { ["dev"] = dev }, JsonValue.Create("dev")));
        var registry = access.Registry(access.Admin);

        // The very first pull: nothing of the image is cached yet, its signature included.
        using (var first = await registry.GetAsync($"/v2/mirror/local/{signedRepo}/manifests/1"))
        {
            string body = await first.Content.ReadAsStringAsync();
            Assert.True(first.StatusCode == HttpStatusCode.OK, $"first pull of the signed image: {(int)first.StatusCode} {body}");
            Assert.Equal(signedDigest, first.Headers.GetValues("Docker-Content-Digest").Single());
        }
        var test = await TestAsync(access.AdminApi, $"mirror/local/{signedRepo}", signedDigest);
        Assert.True(test["allowed"]!.GetValue<bool>(), test.ToJsonString());
        Assert.Equal(["dev"], test["signatures"]![0]!["trustedBy"]!.AsArray().Select(n => n!.GetValue<string>()));

        using (var denied = await registry.GetAsync($"/v2/mirror/local/{unsignedRepo}/manifests/1"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
            var error = JsonNode.Parse(await denied.Content.ReadAsStringAsync())!["errors"]![0]!;
            Assert.Equal("DENIED", error["code"]!.GetValue<string>());
            Assert.Contains("trust policy mirrored", error["detail"]!.ToJsonString(), StringComparison.Ordinal);
        }

        // A signature made for another upstream repository, copied next to this image, still does not count.
        string other = Unique("library/other");
        var (_, otherDigest) = await upstreamClient.PushImageAsync(other, "1", layers: 1);
        await SignCosignAsync(upstreamClient, _upstream.HostPort, "library/elsewhere", otherDigest, dev);
        await CopySignatureAsync(upstreamClient, "library/elsewhere", other, otherDigest);
        using (var copied = await registry.GetAsync($"/v2/mirror/local/{other}/manifests/1"))
            Assert.Equal(HttpStatusCode.Forbidden, copied.StatusCode);
    }

    /// <summary>Moves the <c>.sig</c> manifest (and its blobs) of <paramref name="from"/> to <paramref name="to"/> on the upstream, unchanged.</summary>
    private static async Task CopySignatureAsync(HttpClient upstream, string from, string to, string digest)
    {
        string tag = digest.Replace(':', '-') + ".sig";
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{from}/manifests/{tag}");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using var got = await upstream.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        byte[] manifest = await got.Content.ReadAsByteArrayAsync();
        var node = JsonNode.Parse(manifest)!;
        var digests = new List<string> { node["config"]!["digest"]!.GetValue<string>() };
        digests.AddRange(node["layers"]!.AsArray().Select(l => l!["digest"]!.GetValue<string>()));
        foreach (string blob in digests)
        {
            using var mount = await upstream.PostAsync($"/v2/{to}/blobs/uploads/?mount={blob}&from={from}", null);
            Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        }
        using var put = await upstream.PutManifestAsync(to, tag, manifest, "application/vnd.oci.image.manifest.v1+json");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    public async Task A_mirrored_image_is_scanned_and_gets_its_SBOM_although_no_client_pulled_its_layers()
    {
        string repo = Unique("library/deb");
        string digest = await ScanImages.PushDebianAsync(_work, _upstream.HostPort, repo, "12", null);
        await using var server = await BollardServer.StartAsync(MirrorSettings(("Scanning:Enabled", "true")));

        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/mirror/local/{repo}/manifests/12"))
        {
            request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
            using var got = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        }

        var state = await ScanImages.WaitForStateAsync(server.Client, $"mirror/local/{repo}", digest, s => s is "done" or "failed" or "skipped");
        Assert.True(state["state"]!.GetValue<string>() == "done", state.ToJsonString());
        Assert.True(state["packages"]!.GetValue<int>() > 50, $"the bookworm minbase dpkg database has 88 packages: {state.ToJsonString()}");

        // The SBOM is an OCI referrer of the mirrored image, next to it in the mirror repository.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        JsonArray manifests;
        while (true)
        {
            using var referrers = await server.Client.GetAsync($"/v2/mirror/local/{repo}/referrers/{digest}");
            var index = await AccessServer.ExpectAsync(referrers, HttpStatusCode.OK, "referrers");
            manifests = index["manifests"]!.AsArray();
            if (manifests.Count > 0 || DateTime.UtcNow > deadline) break;
            await Task.Delay(100);
        }
        Assert.Contains(manifests, m => (m!["artifactType"]?.GetValue<string>() ?? "").Contains("cyclonedx", StringComparison.Ordinal));
    }
}
