using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Bollard.IntegrationTests.Mirror.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.IntegrationTests.Mirror;

/// <summary>
/// The manifest side of the mirror against a real upstream (Debian's <c>docker-registry</c> on loopback) and a real
/// client (<c>skopeo inspect --raw</c>) through the prefix <c>mirror/local/...</c>: digests identical to the upstream's,
/// the <c>Bollard-Mirror</c> header, tags revalidated only after their TTL (the server's clock is a
/// <see cref="ManualClock"/>), the cache served stale when the upstream is down, and an image's cosign signature and OCI
/// referrer brought along in the background.
/// </summary>
public sealed class MirrorManifestTests : IAsyncLifetime
{
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);
    private UpstreamRegistry _upstream = null!;
    private BollardServer _server = null!;

    public async Task InitializeAsync()
    {
        _upstream = await UpstreamRegistry.StartNewAsync();
        _server = await BollardServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mirror:Upstreams:0:Name"] = "local",
            ["Mirror:Upstreams:0:Url"] = _upstream.Url,
            ["Mirror:Upstreams:0:TagTtl"] = "00:05:00",
            ["Mirror:Upstreams:0:Timeout"] = "00:00:10",
        }, time: _clock);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private static string Unique(string prefix) => $"{prefix}{Guid.NewGuid().ToString("N")[..8]}";

    private async Task<HttpResponseMessage> GetManifestAsync(string repository, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/mirror/local/{repository}/manifests/{reference}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciManifest));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciIndex));
        return await _server.Client.SendAsync(request);
    }

    private async Task<string> SkopeoRawAsync(string reference)
    {
        var result = await ExternalTool.RunCheckedAsync("skopeo", ["inspect", "--raw", "--tls-verify=false", $"docker://{_server.HostPort}/mirror/local/{reference}"]);
        return result.Stdout.TrimEnd('\n');
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : "";

    [Fact]
    public async Task Skopeo_through_the_prefix_gets_the_upstreams_exact_manifest_and_the_freshness_header()
    {
        ExternalTool.Require("skopeo");
        string repo = Unique("library/app");
        var (manifest, digest) = await _upstream.Client.PushImageAsync(repo, "1.0", layers: 1);

        string raw = await SkopeoRawAsync($"{repo}:1.0");
        Assert.Equal(Encoding.UTF8.GetString(manifest), raw);
        Assert.Equal(Encoding.UTF8.GetString(manifest), await SkopeoRawAsync($"{repo}@{digest}"));

        using var got = await GetManifestAsync(repo, "1.0");
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal(manifest, await got.Content.ReadAsByteArrayAsync());
        Assert.Equal(digest, Header(got, "Docker-Content-Digest"));
        string mirror = Header(got, "Bollard-Mirror");
        Assert.StartsWith("upstream=local; checked=", mirror, StringComparison.Ordinal);
        Assert.EndsWith("state=fresh", mirror, StringComparison.Ordinal);
        Assert.Equal("", Header(got, "Warning"));
    }

    [Fact]
    public async Task A_tag_moved_upstream_is_seen_after_the_TTL_not_before()
    {
        string repo = Unique("library/moving");
        var (_, first) = await _upstream.Client.PushImageAsync(repo, "latest", layers: 1);
        using (var a = await GetManifestAsync(repo, "latest")) Assert.Equal(first, Header(a, "Docker-Content-Digest"));

        var (_, second) = await _upstream.Client.PushImageAsync(repo, "latest", layers: 1);
        _clock.Advance(TimeSpan.FromMinutes(4));
        using (var before = await GetManifestAsync(repo, "latest")) Assert.Equal(first, Header(before, "Docker-Content-Digest"));

        _clock.Advance(TimeSpan.FromMinutes(2));
        using var after = await GetManifestAsync(repo, "latest");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(second, Header(after, "Docker-Content-Digest"));
        Assert.EndsWith("state=fresh", Header(after, "Bollard-Mirror"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upstream_stopped_cached_tag_and_digest_are_served_stale_uncached_fails_clearly()
    {
        ExternalTool.Require("skopeo");
        string repo = Unique("library/kept");
        var (manifest, digest) = await _upstream.Client.PushImageAsync(repo, "3.20", layers: 1);
        using (var warm = await GetManifestAsync(repo, "3.20")) Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        await _upstream.StopAsync();
        _clock.Advance(TimeSpan.FromMinutes(6));

        using var stale = await GetManifestAsync(repo, "3.20");
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal(manifest, await stale.Content.ReadAsByteArrayAsync());
        string mirror = Header(stale, "Bollard-Mirror");
        Assert.Contains("state=stale", mirror, StringComparison.Ordinal);
        Assert.Contains("reason=\"upstream unreachable", mirror, StringComparison.Ordinal);
        Assert.Equal("110 - \"Response is Stale\"", Header(stale, "Warning"));

        Assert.Equal(Encoding.UTF8.GetString(manifest), await SkopeoRawAsync($"{repo}:3.20"));
        Assert.Equal(Encoding.UTF8.GetString(manifest), await SkopeoRawAsync($"{repo}@{digest}"));

        using var uncached = await GetManifestAsync(repo, "3.21");
        Assert.Equal(HttpStatusCode.BadGateway, uncached.StatusCode);
        string body = await uncached.Content.ReadAsStringAsync();
        Assert.Equal("UNAVAILABLE", JsonDocument.Parse(body).RootElement.GetProperty("errors")[0].GetProperty("code").GetString());
        Assert.Contains($"mirror/local/{repo}:3.21 is not cached and upstream local ({_upstream.Url}) failed: upstream unreachable", body, StringComparison.Ordinal);

        var refused = await ExternalTool.RunAsync("skopeo", ["inspect", "--raw", "--tls-verify=false", "--retry-times=0", $"docker://{_server.HostPort}/mirror/local/{repo}:3.21"]);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("502", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cosign_signature_and_a_referrer_on_the_upstream_image_arrive_with_it()
    {
        string repo = Unique("library/signed");
        var (_, digest) = await _upstream.Client.PushImageAsync(repo, "1", layers: 1);
        string hex = digest["sha256:".Length..];
        // cosign's tag scheme: the signature is an image manifest tagged sha256-<hex>.sig.
        var (_, sig) = await _upstream.Client.PushImageAsync(repo, $"sha256-{hex}.sig", layers: 1,
            annotations: new() { ["dev.cosignproject.cosign/signature"] = "MEUCIQ..." });
        // An OCI referrer; Distribution 2.8 has no referrers API, so (as oras and cosign do) the fallback index tag lists it.
        var (referrerBody, referrer) = await _upstream.Client.PushImageAsync(repo, "sbom", layers: 1, subject: digest, artifactType: "application/spdx+json");
        var index = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{referrer}}","size":{{referrerBody.Length}},"artifactType":"application/spdx+json"}]}""");
        using (var put = await _upstream.Client.PutManifestAsync(repo, $"sha256-{hex}", index, MediaTypes.OciIndex))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        using (var pulled = await GetManifestAsync(repo, "1")) Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);

        // Brought by the background job, into the store (read there directly: a GET through the mirror would fetch it itself).
        var local = RepositoryName.Parse($"mirror/local/{repo}");
        var store = _server.Services.GetRequiredService<IManifestStore>();
        for (int i = 0; i < 600 && (await store.GetByTagAsync(local, $"sha256-{hex}.sig", default) is null
            || (await store.ListReferrersAsync(local, Digest.Parse(digest), null, default)).Count == 0); i++)
            await Task.Delay(100);
        Assert.Equal(sig, (await store.GetByTagAsync(local, $"sha256-{hex}.sig", default))?.Digest.ToString());

        using var referrers = await _server.Client.GetAsync($"/v2/mirror/local/{repo}/referrers/{digest}");
        Assert.Equal(HttpStatusCode.OK, referrers.StatusCode);
        var listed = JsonDocument.Parse(await referrers.Content.ReadAsStringAsync()).RootElement.GetProperty("manifests");
        Assert.Equal(referrer, Assert.Single(listed.EnumerateArray()).GetProperty("digest").GetString());
    }
}
