using System.Net;
using System.Security.Cryptography;

namespace Bollard.IntegrationTests.Mirror.Support;

/// <summary>The mirror tests' upstream and proxy do what the tests rely on: seeding, counting, going down, corrupting.</summary>
public sealed class UpstreamSupportTests
{
    [Fact]
    public async Task The_upstream_is_seeded_and_the_proxy_counts_fails_and_goes_down()
    {
        await using var upstream = await UpstreamRegistry.StartNewAsync();
        var (_, digest) = await upstream.Client.PushImageAsync("library/alpine", "3.20", layers: 1, layerSize: 512);
        string big = await upstream.PushLargeBlobAsync("library/alpine", 3 * 1024 * 1024 + 17, seed: 7);
        // Distribution answers 404 for an OCI manifest the Accept header does not list, so every manifest request names it.
        await using var proxy = await CountingProxy.StartNewAsync(upstream.Url);
        using var http = new HttpClient { BaseAddress = new Uri(proxy.Url) };

        var headRequest = new HttpRequestMessage(HttpMethod.Head, "/v2/library/alpine/manifests/3.20");
        headRequest.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using (var head = await http.SendAsync(headRequest))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(digest, head.Headers.GetValues("Docker-Content-Digest").Single());
        }
        byte[] bytes = await http.GetByteArrayAsync($"/v2/library/alpine/blobs/{big}");
        Assert.Equal(big, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal(1, proxy.BlobGets(big));
        Assert.Equal(1, proxy.Count("/manifests/3.20", "HEAD"));

        proxy.CorruptBlobs = true;
        bytes = await http.GetByteArrayAsync($"/v2/library/alpine/blobs/{big}");
        Assert.Equal(3 * 1024 * 1024 + 17, bytes.Length);
        Assert.NotEqual(big, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)));
        proxy.CorruptBlobs = false;

        proxy.FailWith = HttpStatusCode.TooManyRequests;
        using (var limited = await http.GetAsync("/v2/library/alpine/manifests/3.20"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.NotNull(limited.Headers.RetryAfter);
        }
        proxy.FailWith = null;

        await proxy.StopAsync();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("/v2/"));
        await proxy.StartAsync();
        using (var back = await http.GetAsync("/v2/")) Assert.Equal(HttpStatusCode.OK, back.StatusCode);

        await upstream.StopAsync();
        using (var down = await http.GetAsync("/v2/")) Assert.False(down.IsSuccessStatusCode);
        await upstream.StartAsync();
        var get = new HttpRequestMessage(HttpMethod.Get, "/v2/library/alpine/manifests/3.20");
        get.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using (var again = await http.SendAsync(get)) Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }
}
