using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Bollard.IntegrationTests.Attacks;

/// <summary>
/// Repository names outside distribution-spec's grammar, sent exactly as written (no client-side dot-segment
/// removal or unescaping): every endpoint answers 400 NAME_INVALID and nothing is created.
/// </summary>
public sealed class NameAttackTests(SharedServerFixture fixture) : IClassFixture<SharedServerFixture>
{
    private readonly BollardServer _server = fixture.Server;
    private HttpClient Client => _server.Client;

    public static TheoryData<string> BadNames => new()
    {
        "..",
        "../etc",
        "a/../b",
        "a/../../../etc",
        "a/..",
        "%2e%2e",
        "%2E%2E/etc",
        "a/%2e%2e/%2e%2e/etc",
        ".%2e/etc",
        "a%2F..%2F..%2Fetc",
        "a%2fb",
        "/etc/passwd",
        "//etc",
        "a//b",
        "a/./b",
        ".",
        "./a",
        "a/",
        "Upper",
        "library/Ubuntu",
        "a..b",
        "a_.b",
        "-a",
        "a-",
        "a___b",
        "a b",
        "a%20b",
        "a\\b",
        "a:b",
        "a@b",
        "ä",
        new string('a', 256),
        new string('a', 200) + "/" + new string('b', 55),
    };

    private async Task<List<string>> CatalogAsync()
    {
        using var response = await Client.GetAsync("/v2/_catalog?n=1000");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("repositories").EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task BadName_IsNameInvalid_OnEveryEndpoint_NothingCreated(string name)
    {
        // A valid repository that a traversal might land on, to prove it is not served.
        await Client.PushImageAsync("etc", "latest", layers: 1, layerSize: 10);
        var catalogBefore = await CatalogAsync();
        var uploadsBefore = _server.UploadFiles();
        var blob = new byte[] { 1, 2, 3 };
        string digest = RegistryTestClient.Sha256(blob);
        string manifestBody = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" + digest + "\",\"size\":3},\"layers\":[]}";
        string escaped = name.Replace(" ", "%20", StringComparison.Ordinal).Replace("\\", "%5C", StringComparison.Ordinal).Replace("ä", "%C3%A4", StringComparison.Ordinal);

        var requests = new (HttpMethod Method, string Path, HttpContent? Body)[]
        {
            (HttpMethod.Get, $"/v2/{escaped}/manifests/latest", null),
            (HttpMethod.Head, $"/v2/{escaped}/manifests/latest", null),
            (HttpMethod.Put, $"/v2/{escaped}/manifests/latest", new StringContent(manifestBody, null, "application/vnd.oci.image.manifest.v1+json")),
            (HttpMethod.Delete, $"/v2/{escaped}/manifests/latest", null),
            (HttpMethod.Get, $"/v2/{escaped}/tags/list", null),
            (HttpMethod.Get, $"/v2/{escaped}/blobs/{digest}", null),
            (HttpMethod.Post, $"/v2/{escaped}/blobs/uploads/", null),
            (HttpMethod.Post, $"/v2/{escaped}/blobs/uploads/?digest={digest}", new ByteArrayContent(blob) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } }),
            (HttpMethod.Get, $"/v2/{escaped}/blobs/uploads/0123456789abcdef0123456789abcdef", null),
            (HttpMethod.Get, $"/v2/{escaped}/referrers/{digest}", null),
        };
        foreach (var (method, path, body) in requests)
        {
            using var response = await _server.SendRawPathAsync(method, path, body);
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path}: {(int)response.StatusCode} {text}");
            if (method != HttpMethod.Head) Assert.Equal("NAME_INVALID", await response.ErrorCodeAsync());
        }
        Assert.Equal(catalogBefore, await CatalogAsync());
        await _server.AssertNoNewUploadFilesAsync(uploadsBefore);
        Assert.False(File.Exists(_server.BlobFile(digest)));
    }

    [Fact]
    public async Task NameOfExactly255Characters_IsAccepted()
    {
        string name = new string('a', 100) + "/" + new string('b', 100) + "/" + new string('c', 53);
        Assert.Equal(255, name.Length);
        var (_, digest) = await Client.PushImageAsync(name, "v1", layers: 1, layerSize: 10);
        using var get = await Client.GetAsync($"/v2/{name}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    [Theory]
    [InlineData("GET http://{0}/v2/../etc/manifests/latest HTTP/1.1")]
    [InlineData("GET http://{0}/v2/%2e%2e/etc/manifests/latest HTTP/1.1")]
    [InlineData("GET /v2/x/../etc/manifests/latest HTTP/1.1")]
    [InlineData("GET /v2/x/%2e%2e/etc/tags/list HTTP/1.1")]
    public async Task TraversalOverRawSocket_IsNameInvalid(string requestLine)
    {
        await Client.PushImageAsync("etc", "latest", layers: 1, layerSize: 10);
        var response = await _server.RawRequestAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, requestLine, _server.HostPort), []);
        Assert.Equal(400, response.Status);
        Assert.Equal("NAME_INVALID", response.ErrorCode);
    }

    [Theory]
    [InlineData("/v2/a%2Fb/blobs/uploads/")]
    [InlineData("/v2/..%2F..%2Fetc/blobs/uploads/")]
    public async Task MountFromBadName_IsNameInvalid(string uploadPathTemplate)
    {
        string repo = AttackSupport.UniqueRepo("attack/names");
        string digest = await Client.PushBlobAsync(repo, [4, 5, 6]);
        using (var badTarget = await _server.SendRawPathAsync(HttpMethod.Post, $"{uploadPathTemplate}?mount={digest}&from={repo}"))
            await badTarget.AssertErrorAsync(HttpStatusCode.BadRequest, "NAME_INVALID");
        foreach (string from in new[] { "..%2F..%2Fetc", "Upper", "%2Fetc", new string('a', 256) })
        {
            using var badFrom = await _server.SendRawPathAsync(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/?mount={digest}&from={from}");
            await badFrom.AssertErrorAsync(HttpStatusCode.BadRequest, "NAME_INVALID");
        }
    }

    [Theory]
    [InlineData("/v2/a%00b/manifests/latest")]
    [InlineData("/v2/{repo}/manifests/lat%00est")]
    [InlineData("/v2/{repo}/blobs/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855%00")]
    [InlineData("/v2/{repo}/blobs/uploads/0123456789abcdef0123456789abcdef%00")]
    [InlineData("/v2/{repo}%00/blobs/uploads/")]
    public async Task NulByteInPath_Is400_NothingCreated(string template)
    {
        // Kestrel itself refuses a decoded NUL in the path (400, no body) before Bollard sees the request.
        string repo = AttackSupport.UniqueRepo("attack/names");
        var catalogBefore = await CatalogAsync();
        string path = template.Replace("{repo}", repo, StringComparison.Ordinal);
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Put, HttpMethod.Post, HttpMethod.Patch })
        {
            using var response = await _server.SendRawPathAsync(method, path, method == HttpMethod.Get ? null : new ByteArrayContent([1]));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        Assert.Equal(catalogBefore, await CatalogAsync());
    }
}
