using System.Net;
using System.Net.Sockets;

namespace Bollard.IntegrationTests.Mirror;

/// <summary>
/// The transparent mirror's routing (issue 10): a Docker daemon with <c>registry-mirrors</c> (or podman's
/// <c>[[registry.mirror]]</c>) asks for <c>/v2/library/x/...</c>, containerd's <c>hosts.toml</c> adds <c>?ns=docker.io</c>;
/// both are served from <c>mirror/docker.io/library/x</c>. A local repository of the asked name wins, writes are never
/// mapped, and names that try to leave their place are refused before any upstream is asked (the upstream here is a
/// listener that counts connections).
/// </summary>
public sealed class TransparentMirrorTests : IAsyncLifetime
{
    private readonly ConnectionCounter _upstream = new();
    private BollardServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await BollardServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mirror:Upstreams:0:Name"] = "docker.io",
            ["Mirror:Upstreams:0:Url"] = _upstream.Url,
            ["Mirror:Upstreams:1:Name"] = "ghcr.io",
            ["Mirror:Upstreams:1:Url"] = _upstream.Url,
            ["Mirror:Transparent"] = "docker.io",
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _upstream.Dispose();
    }

    private static string Unique(string prefix) => $"{prefix}{Guid.NewGuid().ToString("N")[..10]}";

    private async Task<HttpResponseMessage> GetManifestAsync(string pathAndQuery)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        return await _server.Client.SendAsync(request);
    }

    [Fact]
    public async Task Get_without_ns_is_served_from_the_transparent_upstreams_mirrored_repository()
    {
        string name = Unique("library/t");
        var (manifest, digest) = await _server.Client.PushImageAsync($"mirror/docker.io/{name}", "1.0", layers: 1);

        using var got = await GetManifestAsync($"/v2/{name}/manifests/1.0");
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal(manifest, await got.Content.ReadAsByteArrayAsync());
        Assert.Equal(digest, got.Headers.GetValues("Docker-Content-Digest").Single());

        using var byDigest = await GetManifestAsync($"/v2/{name}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
        using var head = await _server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{name}/manifests/1.0"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);

        string layer = System.Text.Json.JsonDocument.Parse(manifest).RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
        using var blob = await _server.Client.GetAsync($"/v2/{name}/blobs/{layer}");
        Assert.Equal(HttpStatusCode.OK, blob.StatusCode);
        Assert.Equal(1024, (await blob.Content.ReadAsByteArrayAsync()).Length);

        using var tags = await _server.Client.GetAsync($"/v2/{name}/tags/list");
        Assert.Equal(HttpStatusCode.OK, tags.StatusCode);
        Assert.Contains("\"1.0\"", await tags.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var referrers = await _server.Client.GetAsync($"/v2/{name}/referrers/{digest}");
        Assert.Equal(HttpStatusCode.OK, referrers.StatusCode);
        Assert.Equal(0, _upstream.Connections);
    }

    [Fact]
    public async Task Get_with_ns_is_served_from_that_upstreams_mirrored_repository()
    {
        string name = Unique("org/t");
        var (manifest, digest) = await _server.Client.PushImageAsync($"mirror/ghcr.io/{name}", "v1", layers: 1);

        using var got = await GetManifestAsync($"/v2/{name}/manifests/v1?ns=ghcr.io");
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal(manifest, await got.Content.ReadAsByteArrayAsync());
        Assert.Equal(digest, got.Headers.GetValues("Docker-Content-Digest").Single());
        // The same name without ?ns= goes to the transparent upstream (docker.io), where it is not.
        // (This test's upstream is a bare listener, so the mirror's fetch fails: 502, never the ghcr.io image.)
        using var other = await GetManifestAsync($"/v2/{name}/manifests/v1");
        Assert.Equal(HttpStatusCode.BadGateway, other.StatusCode);
    }

    [Fact]
    public async Task A_local_repository_of_the_asked_name_wins_over_the_mirror()
    {
        string name = Unique("library/w");
        var (local, localDigest) = await _server.Client.PushImageAsync(name, "1", layers: 1);
        var (_, mirroredDigest) = await _server.Client.PushImageAsync($"mirror/docker.io/{name}", "1", layers: 1);
        Assert.NotEqual(localDigest, mirroredDigest);

        using var got = await GetManifestAsync($"/v2/{name}/manifests/1");
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal(local, await got.Content.ReadAsByteArrayAsync());
        // containerd's ?ns= names the upstream explicitly: that is the mirror.
        using var explicitNs = await GetManifestAsync($"/v2/{name}/manifests/1?ns=docker.io");
        Assert.Equal(mirroredDigest, explicitNs.Headers.GetValues("Docker-Content-Digest").Single());
    }

    [Fact]
    public async Task Writes_are_never_mapped()
    {
        string name = Unique("library/p");
        var (_, digest) = await _server.Client.PushImageAsync(name, "1", layers: 1);
        using var local = await GetManifestAsync($"/v2/{name}/manifests/1");
        Assert.Equal(digest, local.Headers.GetValues("Docker-Content-Digest").Single());
        // Not in the mirror: the mirror asks its upstream (a bare listener here), which fails: 502.
        using var mirrored = await GetManifestAsync($"/v2/mirror/docker.io/{name}/manifests/1");
        Assert.Equal(HttpStatusCode.BadGateway, mirrored.StatusCode);
    }

    public static TheoryData<string> Attacks => new()
    {
        "/v2/../etc/manifests/latest",
        "/v2/library/../../etc/manifests/latest",
        "/v2/library/%2e%2e/manifests/latest",
        "/v2/%2e%2e/%2e%2e/etc/manifests/latest",
        "/v2/library%2F..%2Fetc/manifests/latest",
        "/v2/library%2fx/manifests/latest",
        "/v2/library/x/manifests/latest?ns=../x",
        "/v2/library/x/manifests/latest?ns=..%2F..%2Fx",
        "/v2/library/x/manifests/latest?ns=unknown.example",
        "/v2/library/x/manifests/latest?ns=docker.io/../ghcr.io",
        "/v2/library/x/blobs/sha256:..%2F..%2Fetc%2Fpasswd",
        "/v2/library/x/blobs/sha256:../../etc/passwd?ns=docker.io",
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Names_that_leave_their_place_are_refused_and_no_upstream_is_asked(string pathAndQuery)
    {
        using var response = await _server.SendRawPathAsync(HttpMethod.Get, pathAndQuery);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {body}");
        Assert.Matches("NAME_INVALID|NAME_UNKNOWN|MANIFEST_UNKNOWN|DIGEST_INVALID|NOT_FOUND|BLOB_UNKNOWN", body);
        Assert.Equal(0, _upstream.Connections);
    }

    /// <summary>A TCP listener that counts connections and closes them: any upstream request would show here.</summary>
    private sealed class ConnectionCounter : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private int _connections;

        public ConnectionCounter()
        {
            _listener.Start();
            _ = AcceptAsync();
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public int Connections => Volatile.Read(ref _connections);

        private async Task AcceptAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                }
            }
            catch (OperationCanceledException) { }
            catch (SocketException) { }
            catch (ObjectDisposedException) { }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }
}
