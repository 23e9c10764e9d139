using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bollard.Core.Mirror;
using Bollard.Core.Oci;
using Bollard.IntegrationTests.Mirror.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.IntegrationTests.Mirror;

/// <summary>
/// One real upstream (Debian's <c>docker-registry</c>) behind a <see cref="CountingProxy"/>, and one Bollard server whose
/// upstreams all go through that proxy: <c>local</c> (no lists), <c>docker.io</c> (the name the traversal attempts use)
/// and <c>vetted</c> (allow and deny lists, a denied digest seeded before the server starts). Shared by the tests of
/// <see cref="MirrorBlobTests"/>, which run one after another, each on repositories of its own.
/// </summary>
public sealed class MirrorBlobFixture : IAsyncLifetime
{
    public UpstreamRegistry Upstream { get; private set; } = null!;
    public CountingProxy Proxy { get; private set; } = null!;
    public BollardServer Server { get; private set; } = null!;

    /// <summary>The manifest that <c>vetted</c> denies by digest: <c>library/pinned:bad</c> on the upstream.</summary>
    public (byte[] Manifest, string Digest) DeniedImage { get; private set; }

    /// <summary><c>library/layered:1</c> on the upstream, whose second layer <c>vetted</c> denies by digest.</summary>
    public (byte[] Manifest, string Digest) LayeredImage { get; private set; }

    public string DeniedLayer => MirrorBlobTests.BlobsOf(LayeredImage.Manifest)[2];

    public async Task InitializeAsync()
    {
        Upstream = await UpstreamRegistry.StartNewAsync();
        Proxy = await CountingProxy.StartNewAsync(Upstream.Url);
        DeniedImage = await Upstream.Client.PushImageAsync("library/pinned", "bad", layers: 1);
        LayeredImage = await Upstream.Client.PushImageAsync("library/layered", "1", layers: 2);
        Server = await BollardServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mirror:Upstreams:0:Name"] = "local",
            ["Mirror:Upstreams:0:Url"] = Proxy.Url,
            ["Mirror:Upstreams:0:Timeout"] = "00:01:00",
            ["Mirror:Upstreams:1:Name"] = "docker.io",
            ["Mirror:Upstreams:1:Url"] = Proxy.Url,
            ["Mirror:Upstreams:2:Name"] = "vetted",
            ["Mirror:Upstreams:2:Url"] = Proxy.Url,
            ["Mirror:Upstreams:2:AllowRepositories:0"] = "library/**",
            ["Mirror:Upstreams:2:DenyRepositories:0"] = "library/denied",
            ["Mirror:Upstreams:2:DenyTags:0"] = "*-rc",
            ["Mirror:Upstreams:2:DenyDigests:0"] = DeniedImage.Digest,
            ["Mirror:Upstreams:2:DenyDigests:1"] = DeniedLayer,
        });
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Proxy.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}

/// <summary>
/// The blob side of the pull-through mirror through the prefix <c>mirror/NAME/...</c>, over real HTTP on loopback: one
/// upstream fetch for many concurrent misses, bytes streamed before the upstream transfer ends, corrupt upstream bytes
/// neither served whole nor stored, traversal names refused without an upstream request, one platform of an index
/// fetched, vetting refusing what the lists keep out, and no fetch of blobs that no manifest of the repository references.
/// Its own class (so its own xunit collection): it runs in parallel with the other mirror tests.
/// </summary>
public sealed class MirrorBlobTests(MirrorBlobFixture fixture) : IClassFixture<MirrorBlobFixture>
{
    private const int MiB = 1024 * 1024;

    private UpstreamRegistry Upstream => fixture.Upstream;
    private CountingProxy Proxy => fixture.Proxy;
    private BollardServer Server => fixture.Server;

    private static string Unique(string prefix) => $"{prefix}{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// The prelude of a blob miss: a new upstream repository named from <paramref name="prefix"/> with an image tagged
    /// <c>1</c> whose layer is <paramref name="size"/> seeded bytes, and its manifest pulled through the mirror (so the
    /// mirror will fetch the layer); returns the mirrored repository and the layer's digest, not yet fetched.
    /// </summary>
    private async Task<(string Local, string Layer)> PrepareMissAsync(string prefix, long size, int seed)
    {
        string repo = Unique(prefix);
        var (_, layer) = await PushSeededImageAsync(repo, "1", size, seed);
        string local = $"mirror/local/{repo}";
        await PullManifestAsync(local, "1");
        return (local, layer);
    }

    /// <summary>Pushes a config and a seeded layer of <paramref name="size"/> bytes (never in memory) and a manifest over them.</summary>
    private async Task<(string Manifest, string Layer)> PushSeededImageAsync(string repo, string tag, long size, int seed)
    {
        string layer = await Upstream.PushLargeBlobAsync(repo, size, seed);
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"n":"{{Guid.NewGuid()}}"}""");
        string configDigest = await Upstream.Client.PushBlobAsync(repo, config);
        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip", ["digest"] = layer, ["size"] = size }),
        }.ToJsonString());
        using var put = await Upstream.Client.PutManifestAsync(repo, tag, manifest, MediaTypes.OciManifest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return (RegistryTestClient.Sha256(manifest), layer);
    }

    private async Task<HttpResponseMessage> GetManifestAsync(string repository, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/{reference}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciManifest));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciIndex));
        return await Server.Client.SendAsync(request);
    }

    private async Task PullManifestAsync(string repository, string reference)
    {
        using var got = await GetManifestAsync(repository, reference);
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
    }

    /// <summary>GETs a blob and hashes it as it streams (64 KiB at a time): its digest and length, never its bytes.</summary>
    private static async Task<(string Digest, long Length)> PullHashedAsync(HttpClient client, string repository, string digest, CancellationToken ct)
    {
        using var response = await client.GetAsync($"/v2/{repository}/blobs/{digest}", HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        return await MirrorBlobs.HashAsync(body, ct);
    }

    private HttpClient NewClient() => new(new SocketsHttpHandler { AllowAutoRedirect = false, MaxConnectionsPerServer = 64 })
    {
        BaseAddress = Server.BaseAddress,
        Timeout = Timeout.InfiniteTimeSpan, // bounded by each test's token instead
    };

    [Fact]
    public async Task Twenty_parallel_pulls_of_an_uncached_200MB_blob_make_one_upstream_GET_and_all_get_the_right_bytes()
    {
        const long size = 200L * MiB;
        var (local, layer) = await PrepareMissAsync("library/big", size, seed: 200);

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        using var client = NewClient();
        var pulls = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => PullHashedAsync(client, local, layer, timeout.Token))));

        Assert.All(pulls, p => Assert.Equal((layer, size), p));
        Assert.Equal(1, Proxy.BlobGets(layer));

        // Stored: the next pull is a hit (no upstream request).
        await MirrorBlobs.WaitForFetchesAsync(Server);
        Assert.Equal((layer, size), await PullHashedAsync(client, local, layer, timeout.Token));
        Assert.Equal(1, Proxy.BlobGets(layer));
    }

    [Fact]
    public async Task The_first_bytes_of_a_miss_reach_the_client_while_the_upstream_is_still_sending()
    {
        const long size = 4L * MiB;
        var (local, layer) = await PrepareMissAsync("library/slow", size, seed: 4);

        Proxy.BytesPerSecond = 512 * 1024; // about 8 s for the whole blob
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            using var client = NewClient();
            using var response = await client.GetAsync($"/v2/{local}/blobs/{layer}", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            var first = new byte[16 * 1024];
            int got = await body.ReadAsync(first, timeout.Token);
            Assert.True(got > 0);
            // The ordering the issue asks for: the client holds bytes of the blob while the upstream's body is still in flight.
            Assert.True(Proxy.IsSending("/blobs/" + layer), "the upstream had already sent the whole blob when the client got its first bytes");

            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            sha.AppendData(first, 0, got);
            var (_, rest) = await HashRestAsync(body, sha, timeout.Token);
            Assert.Equal(size, got + rest);
            Assert.Equal(layer, "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset()));
            Assert.Equal(1, Proxy.BlobGets(layer));
        }
        finally
        {
            Proxy.BytesPerSecond = null;
        }
    }

    private static async Task<(IncrementalHash Hash, long Length)> HashRestAsync(Stream body, IncrementalHash sha, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        long length = 0;
        int n;
        while ((n = await body.ReadAsync(buffer, ct)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            length += n;
        }
        return (sha, length);
    }

    [Fact]
    public async Task A_blob_whose_upstream_bytes_do_not_match_its_digest_is_neither_served_whole_nor_stored()
    {
        const long size = 1L * MiB;
        var (local, layer) = await PrepareMissAsync("library/corrupt", size, seed: 13);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        using var client = NewClient();

        Proxy.CorruptBlobs = true;
        try
        {
            Exception? failed = null;
            HttpStatusCode? status = null;
            try
            {
                using var response = await client.GetAsync($"/v2/{local}/blobs/{layer}", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                status = response.StatusCode;
                await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
                var (digest, length) = await MirrorBlobs.HashAsync(body, timeout.Token);
                Assert.Fail($"the pull of a corrupt blob succeeded: {(int)response.StatusCode}, {length} bytes, {digest}");
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                failed = e; // the response was cut before its end
            }
            Assert.True(failed is not null || status is not HttpStatusCode.OK, "the client got the corrupt blob with success");
            Assert.Equal(1, Proxy.BlobGets(layer));
            await MirrorBlobs.WaitForFetchesAsync(Server);
        }
        finally
        {
            Proxy.CorruptBlobs = false;
        }

        // Not stored: with the upstream fixed, a HEAD fetches it again, and a pull gets the right bytes.
        using (var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{local}/blobs/{layer}"), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(size, head.Content.Headers.ContentLength);
        }
        Assert.Equal(2, Proxy.BlobGets(layer));
        Assert.Equal((layer, size), await PullHashedAsync(client, local, layer, timeout.Token));
        Assert.Equal(2, Proxy.BlobGets(layer));
    }

    [Theory]
    [InlineData("mirror/docker.io/../TOKEN/manifests/latest")]
    [InlineData("mirror/docker.io/..%2fTOKEN/manifests/latest")]
    [InlineData("mirror/docker.io/..%2f..%2fTOKEN/manifests/latest")]
    [InlineData("mirror/..%2f..%2fTOKEN/manifests/latest")]
    [InlineData("mirror/%2e%2e/docker.io/TOKEN/manifests/latest")]
    [InlineData("mirror/docker.io/%2e%2e/%2e%2e/TOKEN/manifests/latest")]
    [InlineData("mirror/docker.io/%2e%2e%2f%2e%2e%2fTOKEN/manifests/latest")]
    [InlineData("mirror/docker.io/library/..%2f..%2f..%2fTOKEN/blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("mirror/docker.io/library/%2e%2e/%2e%2e/%2e%2e/TOKEN/blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("mirror/docker.io/.%2e/TOKEN/tags/list")]
    [InlineData("mirror/docker.io/library%5c..%5cTOKEN/manifests/latest")]
    [InlineData("mirror/docker.io/TOKEN%2f..%2f..%2fx/manifests/latest")]
    public async Task Traversal_names_get_a_spec_error_and_the_upstream_no_request(string name)
    {
        string token = Unique("trav");
        string path = "/v2/" + name.Replace("TOKEN", token, StringComparison.Ordinal);
        // Raw HTTP: HttpClient (System.Uri) would resolve the dot segments itself, so the server would never see them.
        var (status, body) = await RawGetAsync(path);

        Assert.InRange(status, 400, 499);
        using var doc = JsonDocument.Parse(body);
        string? code = doc.RootElement.GetProperty("errors")[0].GetProperty("code").GetString();
        Assert.Contains(code, new[] { "NAME_INVALID", "NAME_UNKNOWN" });
        Assert.Equal(0, Proxy.Count(token));
        Assert.DoesNotContain(Proxy.Requests, r => r.Path.Contains("..", StringComparison.Ordinal) || r.Path.Contains("%2e", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>One HTTP/1.1 GET with the request target sent exactly as given; the status and the (de-chunked) body.</summary>
    private async Task<(int Status, string Body)> RawGetAsync(string target)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(Server.BaseAddress.Host, Server.BaseAddress.Port);
        await using var stream = tcp.GetStream();
        var request = Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {Server.HostPort}\r\nAccept: */*\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(request);
        using var all = new MemoryStream();
        await stream.CopyToAsync(all);
        string text = Encoding.UTF8.GetString(all.ToArray());
        int split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        string head = text[..split];
        string body = text[(split + 4)..];
        int status = int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)) body = Dechunk(body);
        return (status, body);
    }

    private static string Dechunk(string chunked)
    {
        var result = new StringBuilder();
        int at = 0;
        while (true)
        {
            int eol = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            int size = Convert.ToInt32(chunked[at..eol], 16);
            if (size == 0) return result.ToString();
            result.Append(chunked, eol + 2, size);
            at = eol + 2 + size + 2;
        }
    }

    [Fact]
    public async Task One_platform_of_an_index_fetches_that_platform_only_and_keeps_the_index_whole()
    {
        string repo = Unique("library/multi");
        var (amdBody, amd) = await Upstream.Client.PushImageAsync(repo, "amd64-build", layers: 2);
        var (armBody, arm) = await Upstream.Client.PushImageAsync(repo, "arm64-build", layers: 2);
        var index = Encoding.UTF8.GetBytes(
            $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{amd}}}","size":{{{amdBody.Length}}},"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{arm}}}","size":{{{armBody.Length}}},"platform":{"architecture":"arm64","os":"linux"}}]}""");
        using (var put = await Upstream.Client.PutManifestAsync(repo, "3.20", index, MediaTypes.OciIndex)) Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        string local = $"mirror/local/{repo}";

        using (var got = await GetManifestAsync(local, "3.20"))
        {
            Assert.Equal(HttpStatusCode.OK, got.StatusCode);
            Assert.Equal(index, await got.Content.ReadAsByteArrayAsync());
            Assert.Equal(RegistryTestClient.Sha256(index), string.Join("", got.Headers.GetValues("Docker-Content-Digest")));
        }
        // The client picks amd64, as docker pull --platform linux/amd64 does: its manifest, config and layers.
        using (var got = await GetManifestAsync(local, amd))
        {
            Assert.Equal(HttpStatusCode.OK, got.StatusCode);
            Assert.Equal(amdBody, await got.Content.ReadAsByteArrayAsync());
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        using var client = NewClient();
        foreach (string blob in BlobsOf(amdBody))
        {
            var (digest, _) = await PullHashedAsync(client, local, blob, timeout.Token);
            Assert.Equal(blob, digest);
            Assert.Equal(1, Proxy.BlobGets(blob));
        }

        Assert.Equal(0, Proxy.Count("/manifests/" + arm));
        Assert.All(BlobsOf(armBody), blob => Assert.Equal(0, Proxy.Count("/blobs/" + blob)));
        // The index stays whole in the store: by its digest too, the same bytes.
        using var byDigest = await GetManifestAsync(local, RegistryTestClient.Sha256(index));
        Assert.Equal(index, await byDigest.Content.ReadAsByteArrayAsync());
    }

    /// <summary>The config's digest, then the layers'.</summary>
    internal static List<string> BlobsOf(byte[] manifest)
    {
        using var doc = JsonDocument.Parse(manifest);
        var blobs = new List<string> { doc.RootElement.GetProperty("config").GetProperty("digest").GetString()! };
        blobs.AddRange(doc.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!));
        return blobs;
    }

    [Fact]
    public async Task Vetting_refuses_denied_repositories_tags_and_digests_and_fetches_no_blob_of_them()
    {
        // Control: the same upstream through the same lists lets an ordinary image in.
        var (_, good) = await Upstream.Client.PushImageAsync("library/pinned", "good", layers: 1);
        using (var ok = await GetManifestAsync("mirror/vetted/library/pinned", "good"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal(good, string.Join("", ok.Headers.GetValues("Docker-Content-Digest")));
        }

        var (deniedRepoBody, _) = await Upstream.Client.PushImageAsync("library/denied", "1", layers: 1);
        var (offListBody, _) = await Upstream.Client.PushImageAsync("other/app", "1", layers: 1);
        var (rcBody, rc) = await Upstream.Client.PushImageAsync("library/pinned", "2.0-rc", layers: 1);
        var (deniedBody, denied) = fixture.DeniedImage;

        await AssertDeniedAsync("mirror/vetted/library/denied", "1", "repository library/denied is denied by the mirror's deny list");
        await AssertDeniedAsync("mirror/vetted/other/app", "1", "repository other/app is not on the mirror's allow list");
        await AssertDeniedAsync("mirror/vetted/library/pinned", "2.0-rc", "tag 2.0-rc is denied by the mirror's deny list");
        await AssertDeniedAsync("mirror/vetted/library/pinned", denied, $"{denied} is denied by the mirror's deny list");
        Assert.Equal(0, Proxy.Count("/manifests/" + denied));
        // By tag the digest is known only from the upstream's answer: asked, then refused, not stored.
        await AssertDeniedAsync("mirror/vetted/library/pinned", "bad", $"{denied} is denied by the mirror's deny list");

        Assert.Equal(0, Proxy.Count("/v2/library/denied/"));
        Assert.Equal(0, Proxy.Count("/v2/other/app/"));
        Assert.Equal(0, Proxy.Count("/manifests/2.0-rc"));

        // Nor do their blobs come in one by one.
        foreach (var (repo, body) in new[] { ("library/denied", deniedRepoBody), ("other/app", offListBody), ("library/pinned", rcBody), ("library/pinned", deniedBody) })
            foreach (string blob in BlobsOf(body))
            {
                using var response = await Server.Client.GetAsync($"/v2/mirror/vetted/{repo}/blobs/{blob}");
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                Assert.Equal("BLOB_UNKNOWN", await response.ErrorCodeAsync());
                Assert.Equal(0, Proxy.Count("/blobs/" + blob));
            }
        Assert.Equal(0, Proxy.Count("/manifests/" + rc));
    }

    private async Task AssertDeniedAsync(string repository, string reference, string why)
    {
        using var response = await GetManifestAsync(repository, reference);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal("DENIED", JsonDocument.Parse(body).RootElement.GetProperty("errors")[0].GetProperty("code").GetString());
        Assert.Contains(why, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_blob_no_manifest_of_the_repository_references_is_not_fetched_even_when_the_upstream_has_it()
    {
        string repo = Unique("library/loose");
        string other = Unique("library/neighbour");
        await Upstream.Client.PushImageAsync(repo, "1", layers: 1);
        string loose = await Upstream.Client.PushBlobAsync(repo, RegistryTestClient.RandomBytes(4096));
        var (otherBody, _) = await Upstream.Client.PushImageAsync(other, "1", layers: 1);
        string neighbours = BlobsOf(otherBody)[1];
        await PullManifestAsync($"mirror/local/{repo}", "1");
        await PullManifestAsync($"mirror/local/{other}", "1");
        // The upstream has both blobs in the repository: the mirror still does not fetch them for it.
        using (var direct = await Upstream.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repo}/blobs/{loose}")))
            Assert.Equal(HttpStatusCode.OK, direct.StatusCode);

        foreach (string blob in new[] { loose, neighbours })
        {
            using (var get = await Server.Client.GetAsync($"/v2/mirror/local/{repo}/blobs/{blob}"))
            {
                Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
                Assert.Equal("BLOB_UNKNOWN", await get.ErrorCodeAsync());
            }
            using (var head = await Server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/mirror/local/{repo}/blobs/{blob}")))
                Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
            Assert.Equal(0, Proxy.Count("/blobs/" + blob));
        }
    }

    [Fact]
    public async Task A_denied_layer_digest_of_an_allowed_image_is_refused_and_not_fetched()
    {
        const string local = "mirror/vetted/library/layered";
        await PullManifestAsync(local, "1");
        var blobs = BlobsOf(fixture.LayeredImage.Manifest);
        using var client = NewClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        Assert.Equal(blobs[1], (await PullHashedAsync(client, local, blobs[1], timeout.Token)).Digest);

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            using var refused = await client.SendAsync(new HttpRequestMessage(method, $"/v2/{local}/blobs/{fixture.DeniedLayer}"), timeout.Token);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            if (method == HttpMethod.Get)
            {
                string body = await refused.Content.ReadAsStringAsync(timeout.Token);
                Assert.Equal("DENIED", JsonDocument.Parse(body).RootElement.GetProperty("errors")[0].GetProperty("code").GetString());
                Assert.Contains($"{fixture.DeniedLayer} is denied by the mirror's deny list", body, StringComparison.Ordinal);
            }
        }
        Assert.Equal(0, Proxy.Count("/blobs/" + fixture.DeniedLayer));
        Assert.Equal(1, Proxy.BlobGets(blobs[1]));
    }

    [Fact]
    public async Task A_range_request_on_a_miss_gets_exactly_its_bytes_while_the_blob_streams_in()
    {
        const long size = 4L * MiB;
        var (local, layer) = await PrepareMissAsync("library/ranged", size, seed: 77);
        string expected;
        await using (var seeded = new SeededStream(size, 77))
        {
            var skip = new byte[MiB];
            await seeded.ReadExactlyAsync(skip);
            expected = await HashPrefixAsync(seeded, MiB);
        }

        Proxy.BytesPerSecond = 1024 * 1024;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            using var client = NewClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{local}/blobs/{layer}");
            request.Headers.Range = new RangeHeaderValue(MiB, 2 * MiB - 1);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal($"bytes {MiB}-{2 * MiB - 1}/{size}", response.Content.Headers.ContentRange?.ToString());
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            Assert.Equal((expected, (long)MiB), await MirrorBlobs.HashAsync(body, timeout.Token));
        }
        finally
        {
            Proxy.BytesPerSecond = null;
        }
        await MirrorBlobs.WaitForFetchesAsync(Server);
        Assert.Equal(1, Proxy.BlobGets(layer));
    }

    private static async Task<string> HashPrefixAsync(Stream stream, int length)
    {
        var bytes = new byte[length];
        await stream.ReadExactlyAsync(bytes);
        return RegistryTestClient.Sha256(bytes);
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_miss_does_not_stop_the_fetch_the_next_pull_hits_with_the_upstream_down()
    {
        const long size = 4L * MiB;
        var (local, layer) = await PrepareMissAsync("library/dropped", size, seed: 5);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));

        Proxy.BytesPerSecond = 1024 * 1024;
        try
        {
            using var client = NewClient();
            using (var response = await client.GetAsync($"/v2/{local}/blobs/{layer}", HttpCompletionOption.ResponseHeadersRead, timeout.Token))
            {
                await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
                Assert.True(await body.ReadAsync(new byte[1024], timeout.Token) > 0);
            } // gone, with most of the blob still to come
            Assert.True(Proxy.IsSending("/blobs/" + layer));
            await MirrorBlobs.WaitForFetchesAsync(Server);
        }
        finally
        {
            Proxy.BytesPerSecond = null;
        }

        await Proxy.StopAsync();
        try
        {
            using var client = NewClient();
            Assert.Equal((layer, size), await PullHashedAsync(client, local, layer, timeout.Token));
        }
        finally
        {
            await Proxy.StartAsync();
        }
        Assert.Equal(1, Proxy.BlobGets(layer));
    }
}
