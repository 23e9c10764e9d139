using System.Diagnostics;
using System.Text;
using Bollard.Core.Mirror;
using Bollard.Core.Mirror.Upstream;
using Bollard.Core.Oci;
using Microsoft.AspNetCore.Http;

namespace Bollard.IntegrationTests.Mirror.UpstreamClient;

/// <summary>
/// <see cref="HttpUpstreamRegistry"/> against a scripted upstream on loopback (<see cref="FakeUpstream"/>): the token
/// flow, the SSRF guards (realm host, link-local and metadata addresses, redirects), and the failure kinds.
/// </summary>
public sealed class HttpUpstreamRegistryTests : IAsyncLifetime
{
    private const string Repo = "lib/app";
    private static readonly byte[] Manifest = Encoding.UTF8.GetBytes(
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2},\"layers\":[]}");
    private static readonly Digest ManifestDigest = Digest.Sha256Of(Manifest);

    private FakeUpstream _fake = null!;
    private readonly MirrorCounters _counters = new();

    public async Task InitializeAsync() => _fake = await FakeUpstream.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    private (HttpUpstreamRegistry Registry, MirrorRoute Route) Client(Action<UpstreamOptions>? configure = null)
    {
        var upstream = new UpstreamOptions { Name = "fake", Url = _fake.Url, Timeout = TimeSpan.FromSeconds(10) };
        configure?.Invoke(upstream);
        var options = new MirrorOptions { Upstreams = [upstream] };
        var route = new MirrorRoute(upstream, Repo, RepositoryName.Parse("mirror/fake/" + Repo));
        return (new HttpUpstreamRegistry(_counters, options, TimeProvider.System), route);
    }

    private static Reference Tag(string tag) => new(tag, null);

    private static async Task WriteManifest(HttpContext c, byte[] body, string? digestHeader = null)
    {
        c.Response.ContentType = MediaTypes.OciManifest;
        c.Response.ContentLength = body.Length;
        if (digestHeader is not null) c.Response.Headers["Docker-Content-Digest"] = digestHeader;
        if (!HttpMethods.IsHead(c.Request.Method)) await c.Response.Body.WriteAsync(body);
    }

    /// <summary>A registry that wants a bearer token from <paramref name="realm"/> (served by the fake itself under /token).</summary>
    private void TokenProtected(string realm)
    {
        _fake.Handler = async c =>
        {
            if (c.Request.Path == "/token")
            {
                await c.Response.WriteAsJsonAsync(new { token = "tok-1", expires_in = 300 });
                return;
            }
            if (c.Request.Headers.Authorization != "Bearer tok-1")
            {
                c.Response.StatusCode = 401;
                c.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{realm}\",service=\"fake\",scope=\"repository:{Repo}:pull\"";
                return;
            }
            if (c.Request.Path == $"/v2/{Repo}/manifests/v1") await WriteManifest(c, Manifest, ManifestDigest.ToString());
            else c.Response.StatusCode = 404;
        };
    }

    private static Task<UpstreamException> FailsAsync(Func<Task> act) => Assert.ThrowsAsync<UpstreamException>(act);

    [Fact]
    public async Task GetManifest_AnonymousTokenFlow_FetchesTokenOnceAndReturnsExactBytes()
    {
        TokenProtected($"{_fake.Url}/token");
        var (registry, route) = Client();
        using var _ = registry;

        var manifest = await registry.GetManifestAsync(route, Tag("v1"), default);
        var again = await registry.HeadManifestAsync(route, Tag("v1"), default);

        Assert.NotNull(manifest);
        Assert.Equal(Manifest, manifest.Body);
        Assert.Equal(ManifestDigest, manifest.Digest);
        Assert.Equal(MediaTypes.OciManifest, manifest.MediaType);
        Assert.Equal(new UpstreamManifestHead(ManifestDigest, MediaTypes.OciManifest, Manifest.Length), again);
        var token = Assert.Single(_fake.RequestsTo("/token"));
        Assert.Null(token.Authorization);
        Assert.Contains("scope=repository%3Alib%2Fapp%3Apull", token.PathAndQuery, StringComparison.Ordinal);
        Assert.Contains("service=fake", token.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetManifest_ConcurrentMissesWithoutToken_ShareOneTokenRequest()
    {
        TokenProtected($"{_fake.Url}/token");
        var (registry, route) = Client();
        using var _ = registry;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => registry.GetManifestAsync(route, Tag("v1"), default)));

        Assert.Single(_fake.RequestsTo("/token"));
    }

    [Fact]
    public async Task GetManifest_WithPasswordFile_SendsBasicCredentialsToTheRealm()
    {
        TokenProtected($"{_fake.Url}/token");
        string file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "s3cret\n");
        try
        {
            var (registry, route) = Client(u => { u.Username = "alice"; u.PasswordFile = file; });
            using var _ = registry;

            Assert.NotNull(await registry.GetManifestAsync(route, Tag("v1"), default));

            var token = Assert.Single(_fake.RequestsTo("/token"));
            Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret")), token.Authorization);
            // The password goes to the token service only, never to the registry.
            Assert.All(_fake.RequestsTo("/v2/"), r => Assert.DoesNotContain("Basic", r.Authorization ?? "", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetManifest_RealmAtCloudMetadata_ForbiddenWithoutConnecting(bool listedAsAllowed)
    {
        TokenProtected("http://169.254.169.254/latest/meta-data/iam");
        // A connection attempt to 169.254.169.254 would end as Timeout (no route here) or Unreachable, not Forbidden.
        var (registry, route) = Client(u =>
        {
            u.Timeout = TimeSpan.FromSeconds(30);
            if (listedAsAllowed) u.AllowedHosts.Add("169.254.169.254");
        });
        using var _ = registry;

        var e = await FailsAsync(() => registry.GetManifestAsync(route, Tag("v1"), default));

        Assert.Equal(UpstreamFailure.Forbidden, e.Failure);
        Assert.Contains(listedAsAllowed ? "cloud metadata" : "token realm host 169.254.169.254 is not upstream fake's host", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, _counters.For("fake").Errors[UpstreamFailure.Forbidden]);
    }

    [Fact]
    public async Task GetManifest_RealmOnAnotherHost_ForbiddenUntilListed()
    {
        TokenProtected($"http://localhost:{_fake.Port}/token");
        var (refusing, route) = Client();
        using var _ = refusing;

        var e = await FailsAsync(() => refusing.GetManifestAsync(route, Tag("v1"), default));

        Assert.Equal(UpstreamFailure.Forbidden, e.Failure);
        Assert.Equal("token realm host localhost is not upstream fake's host; add it to Mirror:Upstreams:0:AllowedHosts", e.Message);
        Assert.Empty(_fake.RequestsTo("/token"));

        var (allowing, allowedRoute) = Client(u => u.AllowedHosts.Add("localhost"));
        using var __ = allowing;
        Assert.NotNull(await allowing.GetManifestAsync(allowedRoute, Tag("v1"), default));
        Assert.Equal("localhost:" + _fake.Port, Assert.Single(_fake.RequestsTo("/token")).Host);
    }

    [Theory]
    [InlineData("http://169.254.10.10:5000")]
    [InlineData("http://169.254.169.254")]
    [InlineData("http://[fe80::1]:5000")]
    [InlineData("http://100.100.100.200")]
    [InlineData("http://0.0.0.0:5000")]
    public async Task GetManifest_UpstreamOnRefusedAddress_Forbidden(string url)
    {
        var (registry, route) = Client(u => { u.Url = url; u.Timeout = TimeSpan.FromSeconds(30); });
        using var _ = registry;

        var e = await FailsAsync(() => registry.GetManifestAsync(route, Tag("v1"), default));

        Assert.Equal(UpstreamFailure.Forbidden, e.Failure);
        Assert.Contains("never contacts", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Blobs need Basic credentials and live behind a redirect to "storage" on http://localhost (another host).</summary>
    private void BlobBehindRedirect(byte[] blob, Digest digest)
    {
        _fake.Handler = async c =>
        {
            if (c.Request.Path == "/storage/blob")
            {
                c.Response.ContentLength = blob.Length;
                await c.Response.Body.WriteAsync(blob);
                return;
            }
            if (c.Request.Path != $"/v2/{Repo}/blobs/{digest}")
            {
                c.Response.StatusCode = 404;
                return;
            }
            if (c.Request.Headers.Authorization.Count == 0)
            {
                c.Response.StatusCode = 401;
                c.Response.Headers.WWWAuthenticate = "Basic realm=\"fake\"";
                return;
            }
            c.Response.StatusCode = 307;
            c.Response.Headers.Location = $"http://localhost:{_fake.Port}/storage/blob";
        };
    }

    [Fact]
    public async Task OpenBlob_RedirectToPlainHttpOtherHost_Forbidden()
    {
        byte[] blob = Encoding.UTF8.GetBytes("layer bytes");
        var digest = Digest.Sha256Of(blob);
        BlobBehindRedirect(blob, digest);
        var (registry, route) = Client(u => { u.Username = "alice"; u.Password = "pw"; });
        using var _ = registry;

        var e = await FailsAsync(() => registry.OpenBlobAsync(route, digest, default));

        Assert.Equal(UpstreamFailure.Forbidden, e.Failure);
        Assert.Contains("redirected to http://localhost:", e.Message, StringComparison.Ordinal);
        Assert.Contains("Mirror:Upstreams:0:AllowedHosts", e.Message, StringComparison.Ordinal);
        Assert.Empty(_fake.RequestsTo("/storage/"));
    }

    [Fact]
    public async Task OpenBlob_RedirectToAllowedHost_FollowedWithoutTheUpstreamCredentials()
    {
        byte[] blob = Encoding.UTF8.GetBytes("layer bytes");
        var digest = Digest.Sha256Of(blob);
        BlobBehindRedirect(blob, digest);
        var (registry, route) = Client(u => { u.Username = "alice"; u.Password = "pw"; u.AllowedHosts.Add("localhost"); });
        using var _ = registry;

        await using var opened = await registry.OpenBlobAsync(route, digest, default);

        Assert.NotNull(opened);
        Assert.Equal(blob.Length, opened.Length);
        using var read = new MemoryStream();
        await opened.Content.CopyToAsync(read);
        Assert.Equal(blob, read.ToArray());
        var storage = Assert.Single(_fake.RequestsTo("/storage/"));
        Assert.Null(storage.Authorization);
        Assert.Contains(_fake.RequestsTo("/v2/"), r => r.Authorization == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:pw")));
    }

    [Fact]
    public async Task OpenBlob_RedirectLoop_StopsAfterFiveRedirects()
    {
        _fake.Handler = c =>
        {
            c.Response.StatusCode = 302;
            c.Response.Headers.Location = "/again" + c.Request.Path;
            return Task.CompletedTask;
        };
        var (registry, route) = Client();
        using var _ = registry;

        var e = await FailsAsync(() => registry.OpenBlobAsync(route, ManifestDigest, default));

        Assert.Equal(UpstreamFailure.ServerError, e.Failure);
        Assert.Equal(1 + HttpUpstreamRegistry.MaxRedirects, _fake.Requests.Count);
    }

    [Fact]
    public async Task GetManifest_429_RateLimitedWithRetryAfter()
    {
        _fake.Handler = c =>
        {
            c.Response.StatusCode = 429;
            c.Response.Headers.RetryAfter = "7";
            return Task.CompletedTask;
        };
        var (registry, route) = Client();
        using var _ = registry;

        var e = await FailsAsync(() => registry.GetManifestAsync(route, Tag("v1"), default));

        Assert.Equal(UpstreamFailure.RateLimited, e.Failure);
        Assert.Equal(TimeSpan.FromSeconds(7), e.RetryAfter);
        Assert.Equal(1, _counters.For("fake").Errors[UpstreamFailure.RateLimited]);
    }

    [Theory]
    [InlineData(500, UpstreamFailure.ServerError)]
    [InlineData(400, UpstreamFailure.ServerError)]
    [InlineData(403, UpstreamFailure.Unauthorized)]
    public async Task GetManifest_ErrorStatus_MapsToItsKind(int status, UpstreamFailure expected)
    {
        _fake.Handler = c =>
        {
            c.Response.StatusCode = status;
            return Task.CompletedTask;
        };
        var (registry, route) = Client();
        using var _ = registry;

        Assert.Equal(expected, (await FailsAsync(() => registry.GetManifestAsync(route, Tag("v1"), default))).Failure);
    }

    [Fact]
    public async Task GetManifest_UpstreamDown_Unreachable()
    {
        int port = _fake.Port;
        await _fake.DisposeAsync();
        var (registry, route) = Client(u => u.Url = $"http://127.0.0.1:{port}");
        using var _ = registry;

        Assert.Equal(UpstreamFailure.Unreachable, (await FailsAsync(() => registry.GetManifestAsync(route, Tag("v1"), default))).Failure);
    }

    [Fact]
    public async Task GetManifest_NoHeadersWithinTimeout_Timeout()
    {
        _fake.Handler = async c => await Task.Delay(TimeSpan.FromMinutes(2), c.RequestAborted);
        var (registry, route) = Client(u => u.Timeout = TimeSpan.FromSeconds(1));
        using var _ = registry;
        var clock = Stopwatch.StartNew();

        var e = await FailsAsync(() => registry.GetManifestAsync(route, Tag("v1"), default));

        Assert.Equal(UpstreamFailure.Timeout, e.Failure);
        // A bound, not a speed goal: without one the call would wait the two minutes.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task OpenBlob_BodyStalls_ReadFailsWithTimeout()
    {
        _fake.Handler = async c =>
        {
            c.Response.ContentLength = 1000;
            await c.Response.Body.WriteAsync(new byte[10]);
            await c.Response.Body.FlushAsync();
            await Task.Delay(TimeSpan.FromMinutes(2), c.RequestAborted);
        };
        var (registry, route) = Client(u => u.Timeout = TimeSpan.FromSeconds(1));
        using var _ = registry;

        await using var opened = await registry.OpenBlobAsync(route, ManifestDigest, default);
        Assert.NotNull(opened);
        var e = await FailsAsync(() => opened.Content.CopyToAsync(Stream.Null));

        Assert.Equal(UpstreamFailure.Timeout, e.Failure);
        Assert.Equal(1, _counters.For("fake").Errors[UpstreamFailure.Timeout]);
    }

    [Fact]
    public async Task GetManifest_StreamedEndlessly_InvalidAndTheStreamIsCut()
    {
        var cut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _fake.Handler = async c =>
        {
            c.Response.ContentType = MediaTypes.OciManifest;
            byte[] chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)' ');
            try
            {
                while (true) await c.Response.Body.WriteAsync(chunk, c.RequestAborted);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                cut.TrySetResult();
            }
        };
        var (registry, route) = Client(u => u.MaxManifestBytes = 100_000);
        using var _ = registry;

        var e = await FailsAsync(() => registry.GetManifestAsync(route, Tag("v1"), default));

        Assert.Equal(UpstreamFailure.Invalid, e.Failure);
        Assert.EndsWith("is over 100000 bytes", e.Message, StringComparison.Ordinal);
        await cut.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task GetManifest_ContentLengthOverLimit_InvalidWithoutReading()
    {
        _fake.Handler = c => WriteManifest(c, Manifest);
        var (registry, route) = Client(u => u.MaxManifestBytes = Manifest.Length - 1);
        using var _ = registry;

        var e = await FailsAsync(() => registry.GetManifestAsync(route, Tag("v1"), default));

        Assert.Equal(UpstreamFailure.Invalid, e.Failure);
        Assert.Contains($"is over {Manifest.Length - 1} bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetManifest_WrongBytesForDigest_Invalid()
    {
        byte[] other = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Manifest).Replace("\"layers\":[]", "\"layers\":[] ", StringComparison.Ordinal));
        _fake.Handler = c => WriteManifest(c, other, ManifestDigest.ToString());
        var (registry, route) = Client();
        using var _ = registry;

        var e = await FailsAsync(() => registry.GetManifestAsync(route, new Reference(null, ManifestDigest), default));

        Assert.Equal(UpstreamFailure.Invalid, e.Failure);
        Assert.Contains(Digest.Sha256Of(other).ToString(), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetManifest_ByTagWithDisagreeingDigestHeader_Invalid()
    {
        _fake.Handler = c => WriteManifest(c, Manifest, Digest.Sha256Of("other"u8).ToString());
        var (registry, route) = Client();
        using var _ = registry;

        Assert.Equal(UpstreamFailure.Invalid, (await FailsAsync(() => registry.GetManifestAsync(route, Tag("v1"), default))).Failure);
    }

    [Fact]
    public async Task GetManifest_NotAManifest_Invalid()
    {
        _fake.Handler = async c =>
        {
            c.Response.ContentType = "text/html";
            await c.Response.WriteAsync("<html>login</html>");
        };
        var (registry, route) = Client();
        using var _ = registry;

        Assert.Equal(UpstreamFailure.Invalid, (await FailsAsync(() => registry.GetManifestAsync(route, Tag("v1"), default))).Failure);
    }

    [Fact]
    public async Task HeadManifest_WithoutDigestHeader_FallsBackToGetAndHashes()
    {
        _fake.Handler = c => WriteManifest(c, Manifest);
        var (registry, route) = Client();
        using var _ = registry;

        var head = await registry.HeadManifestAsync(route, Tag("v1"), default);

        Assert.Equal(new UpstreamManifestHead(ManifestDigest, MediaTypes.OciManifest, Manifest.Length), head);
        Assert.Equal(["HEAD", "GET"], _fake.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task GetManifest_404_Null()
    {
        var (registry, route) = Client();
        using var _ = registry;

        Assert.Null(await registry.GetManifestAsync(route, Tag("v1"), default));
        Assert.Null(await registry.HeadManifestAsync(route, Tag("v1"), default));
        Assert.Null(await registry.OpenBlobAsync(route, ManifestDigest, default));
        Assert.Empty(_counters.For("fake").Errors);
    }

    [Fact]
    public async Task ListTags_FollowsLinkPages_UpToMax()
    {
        _fake.Handler = async c =>
        {
            string last = c.Request.Query["last"].ToString();
            string[] tags = last switch { "" => ["a", "b"], "b" => ["c", "d"], _ => ["e"] };
            if (last != "d") c.Response.Headers.Link = $"</v2/{Repo}/tags/list?n=2&last={tags[^1]}>; rel=\"next\"";
            await c.Response.WriteAsJsonAsync(new { name = Repo, tags });
        };
        var (registry, route) = Client();
        using var _ = registry;

        Assert.Equal(["a", "b", "c", "d", "e"], await registry.ListTagsAsync(route, 100, default));
        Assert.Equal(["a", "b", "c"], await registry.ListTagsAsync(route, 3, default));
    }
}
