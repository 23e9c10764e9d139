using System.Net;
using Bollard.IntegrationTests.Mirror.Support;

namespace Bollard.IntegrationTests.Mirror;

/// <summary>
/// An upstream that sends blobs with <c>Transfer-Encoding: chunked</c> and no <c>Content-Length</c> (some registries and
/// CDNs do), over real HTTP: a real docker-registry behind a <see cref="CountingProxy"/> that drops the length. The
/// mirror takes the size from the manifest, serves the client with a <c>Content-Length</c>, stores the verified bytes
/// once, and a chunked body that does not match its digest is neither served whole nor stored.
/// </summary>
public sealed class MirrorChunkedUpstreamTests : IAsyncLifetime
{
    private UpstreamRegistry _upstream = null!;
    private CountingProxy _proxy = null!;
    private BollardServer _server = null!;

    public async Task InitializeAsync()
    {
        _upstream = await UpstreamRegistry.StartNewAsync();
        _proxy = await CountingProxy.StartNewAsync(_upstream.Url);
        _proxy.ChunkedBlobs = true;
        _server = await BollardServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mirror:Upstreams:0:Name"] = "chunky",
            ["Mirror:Upstreams:0:Url"] = _proxy.Url,
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    /// <summary>Pushes a one-layer image to the upstream and returns its layer digest and the mirror's name for it (manifest pulled through the mirror).</summary>
    private async Task<(string Layer, string Local)> PrepareAsync(string name, int layerSize)
    {
        var (manifest, _) = await _upstream.Client.PushImageAsync(name, "1", layers: 1, layerSize: layerSize);
        string layer = MirrorBlobTests.BlobsOf(manifest)[^1];
        string local = $"mirror/chunky/{name}";
        using var response = await _server.Client.GetAsync($"/v2/{local}/manifests/1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (layer, local);
    }

    private static async Task<(string Digest, long Length)> HashAsync(HttpResponseMessage response)
    {
        await using var body = await response.Content.ReadAsStreamAsync();
        return await MirrorBlobs.HashAsync(body);
    }

    [Fact]
    public async Task A_chunked_upstream_blob_is_served_with_its_length_and_stored_once()
    {
        const int size = 3 * 1024 * 1024 + 17;
        var (layer, local) = await PrepareAsync("library/chunked", size);

        // The proxy really sends it chunked, without a length.
        using (var direct = new HttpClient())
        using (var upstreamAnswer = await direct.GetAsync($"{_proxy.Url}/v2/library/chunked/blobs/{layer}", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.True(upstreamAnswer.Headers.TransferEncodingChunked);
            Assert.Null(upstreamAnswer.Content.Headers.ContentLength);
            Assert.Equal((layer, (long)size), await HashAsync(upstreamAnswer));
        }
        _proxy.Reset();

        using (var miss = await _server.Client.GetAsync($"/v2/{local}/blobs/{layer}", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, miss.StatusCode);
            Assert.Equal(size, miss.Content.Headers.ContentLength); // the manifest's size, known before the transfer ends
            Assert.Equal((layer, (long)size), await HashAsync(miss));
        }
        Assert.Equal(1, _proxy.BlobGets(layer));

        // Stored: a second pull is served without the upstream, byte for byte.
        await MirrorBlobs.WaitForFetchesAsync(_server);
        using (var hit = await _server.Client.GetAsync($"/v2/{local}/blobs/{layer}", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
            Assert.Equal((layer, (long)size), await HashAsync(hit));
        }
        Assert.Equal(1, _proxy.BlobGets(layer));
    }

    [Fact]
    public async Task A_chunked_body_that_does_not_match_its_digest_is_not_served_whole_nor_stored()
    {
        const int size = 1024 * 1024;
        var (layer, local) = await PrepareAsync("library/chunked-corrupt", size);
        _proxy.CorruptBlobs = true;
        try
        {
            bool cut = false;
            try
            {
                using var response = await _server.Client.GetAsync($"/v2/{local}/blobs/{layer}", HttpCompletionOption.ResponseHeadersRead);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var (digest, _) = await HashAsync(response);
                    Assert.Fail($"a corrupt chunked blob was served whole: {digest}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                cut = true; // the response was cut before its end
            }
            Assert.True(cut || _proxy.BlobGets(layer) == 1);
        }
        finally
        {
            _proxy.CorruptBlobs = false;
        }

        // Nothing was stored: with the upstream fixed, the next pull fetches again and gets the right bytes.
        await MirrorBlobs.WaitForFetchesAsync(_server);
        using var again = await _server.Client.GetAsync($"/v2/{local}/blobs/{layer}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal((layer, (long)size), await HashAsync(again));
        Assert.Equal(2, _proxy.BlobGets(layer));
    }
}
