using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Attacks;

/// <summary>Bad manifest pushes: each is refused with the spec's code and leaves no manifest and no tag behind.</summary>
public sealed class ManifestAttackTests(SharedServerFixture fixture) : IClassFixture<SharedServerFixture>
{
    private const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    private const string OciIndex = "application/vnd.oci.image.index.v1+json";
    private readonly BollardServer _server = fixture.Server;
    private HttpClient Client => _server.Client;

    /// <summary>Pushes <paramref name="body"/> as tag <c>bad</c> and asserts the error, no tag and no manifest by digest.</summary>
    private async Task AssertRejectedAsync(string repo, byte[] body, string mediaType, HttpStatusCode status, string code, string reference = "bad")
    {
        var tagsBefore = await Client.TagsAsync(repo);
        using (var response = await Client.PutManifestAsync(repo, reference, body, mediaType))
            await response.AssertErrorAsync(status, code);
        Assert.Equal(tagsBefore, await Client.TagsAsync(repo));
        using var byTag = await Client.GetAsync($"/v2/{repo}/manifests/bad");
        Assert.Equal(HttpStatusCode.NotFound, byTag.StatusCode);
        using var byDigest = await Client.GetAsync($"/v2/{repo}/manifests/{RegistryTestClient.Sha256(body)}");
        Assert.Equal(HttpStatusCode.NotFound, byDigest.StatusCode);
    }

    public static TheoryData<string> InvalidJsonBodies => new()
    {
        "",
        "{",
        "not json at all",
        "[]",
        "null",
        "\"a string\"",
        "{\"schemaVersion\":2,}",
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{}}",
        "{\"schemaVersion\":1,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:" + "0000000000000000000000000000000000000000000000000000000000000000" + "\",\"size\":1},\"layers\":[]}",
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:zz\",\"size\":1},\"layers\":[]}",
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:" + "0000000000000000000000000000000000000000000000000000000000000000" + "\",\"size\":-1},\"layers\":[]}",
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:" + "0000000000000000000000000000000000000000000000000000000000000000" + "\",\"size\":1},\"layers\":{}}",
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"a/b\",\"digest\":\"../../../etc/passwd\",\"size\":1},\"layers\":[]}",
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v1+json\",\"name\":\"x\",\"tag\":\"y\",\"fsLayers\":[]}",
    };

    [Theory]
    [MemberData(nameof(InvalidJsonBodies))]
    public async Task InvalidManifest_IsManifestInvalid_AndNothingStored(string body)
    {
        string repo = AttackSupport.UniqueRepo("attack/manifest");
        await AssertRejectedAsync(repo, Encoding.UTF8.GetBytes(body), OciManifest, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task DeeplyNestedJson_IsManifestInvalid_Not500()
    {
        string repo = AttackSupport.UniqueRepo("attack/manifest");
        string nested = new string('[', 10_000) + new string(']', 10_000);
        var body = Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"mediaType\":\"" + OciManifest + "\",\"x\":" + nested + "}");
        await AssertRejectedAsync(repo, body, OciManifest, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task ContentTypeDisagreeingWithMediaType_IsManifestInvalid()
    {
        string repo = AttackSupport.UniqueRepo("attack/manifest");
        var body = await Client.MinimalManifestAsync(repo);
        await AssertRejectedAsync(repo, body, OciIndex, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task InvalidTag_IsRejected_NotStored()
    {
        string repo = AttackSupport.UniqueRepo("attack/manifest");
        var body = await Client.MinimalManifestAsync(repo);
        foreach (string tag in new[] { new string('t', 129), ".hidden", "-dash", "a%2Fb", "a%20b" })
        {
            using var response = await _server.SendRawPathAsync(HttpMethod.Put, $"/v2/{repo}/manifests/{tag}",
                new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue(OciManifest) } });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(await response.ErrorCodeAsync(), new[] { "MANIFEST_INVALID", "TAG_INVALID" });
        }
        Assert.Empty(await Client.TagsAsync(repo));
    }

    [Fact]
    public async Task ManifestPushedByDigestThatDoesNotMatch_IsDigestInvalid()
    {
        string repo = AttackSupport.UniqueRepo("attack/manifest");
        var body = await Client.MinimalManifestAsync(repo);
        string wrong = RegistryTestClient.Sha256(Encoding.UTF8.GetBytes("something else"));
        using (var response = await Client.PutManifestAsync(repo, wrong, body, OciManifest))
            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using var byWrong = await Client.GetAsync($"/v2/{repo}/manifests/{wrong}");
        Assert.Equal(HttpStatusCode.NotFound, byWrong.StatusCode);
        using var byReal = await Client.GetAsync($"/v2/{repo}/manifests/{RegistryTestClient.Sha256(body)}");
        Assert.Equal(HttpStatusCode.NotFound, byReal.StatusCode);

        // The sha512 digest of the right bytes pushed under a sha256 reference of other bytes: also refused.
        string wrong512 = AttackSupport.Sha512(Encoding.UTF8.GetBytes("other"));
        using var r512 = await Client.PutManifestAsync(repo, wrong512, body, OciManifest);
        await r512.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task ManifestReferencingMissingBlobs_IsManifestBlobUnknown()
    {
        string repo = AttackSupport.UniqueRepo("attack/manifest");
        var layer = RegistryTestClient.RandomBytes(100);
        var body = await Client.MinimalManifestAsync(repo);
        var json = JsonNode.Parse(body)!;
        json["layers"] = new JsonArray(new JsonObject
        {
            ["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip",
            ["digest"] = RegistryTestClient.Sha256(layer),
            ["size"] = layer.Length,
        });
        await AssertRejectedAsync(repo, Encoding.UTF8.GetBytes(json.ToJsonString()), OciManifest, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");

        // A missing config is the same.
        var noConfig = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{OciManifest}}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{RegistryTestClient.Sha256(layer)}}","size":100},"layers":[]}""");
        await AssertRejectedAsync(repo, noConfig, OciManifest, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Fact]
    public async Task ManifestReferencingBlobOnlyInAnotherRepository_IsManifestBlobUnknown()
    {
        string other = AttackSupport.UniqueRepo("attack/manifest");
        string repo = AttackSupport.UniqueRepo("attack/manifest");
        var body = await Client.MinimalManifestAsync(other); // config pushed to `other` only
        await AssertRejectedAsync(repo, body, OciManifest, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Fact]
    public async Task IndexReferencingMissingChildManifest_IsManifestBlobUnknown()
    {
        string repo = AttackSupport.UniqueRepo("attack/manifest");
        var (_, present) = await Client.PushImageAsync(repo, "child", layers: 1, layerSize: 10);
        string missing = RegistryTestClient.Sha256(Encoding.UTF8.GetBytes("no such manifest"));
        var index = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"{{OciIndex}}","manifests":[
              {"mediaType":"{{OciManifest}}","digest":"{{present}}","size":1,"platform":{"architecture":"amd64","os":"linux"} },
              {"mediaType":"{{OciManifest}}","digest":"{{missing}}","size":1,"platform":{"architecture":"arm64","os":"linux"} }]}
            """);
        await AssertRejectedAsync(repo, index, OciIndex, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        Assert.Equal(["child"], await Client.TagsAsync(repo));

        // A child that exists only in another repository is just as missing.
        string other = AttackSupport.UniqueRepo("attack/manifest");
        var (_, elsewhere) = await Client.PushImageAsync(other, "x", layers: 1, layerSize: 10);
        var index2 = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"{{OciIndex}}","manifests":[{"mediaType":"{{OciManifest}}","digest":"{{elsewhere}}","size":1}]}
            """);
        await AssertRejectedAsync(repo, index2, OciIndex, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    /// <summary>A valid manifest padded with an annotation to exactly <paramref name="size"/> bytes.</summary>
    private async Task<byte[]> ManifestOfSizeAsync(string repo, int size)
    {
        var baseBody = await Client.MinimalManifestAsync(repo, ",\"annotations\":{\"pad\":\"\"}");
        int padding = size - baseBody.Length;
        string text = Encoding.UTF8.GetString(baseBody).Replace("\"pad\":\"\"", "\"pad\":\"" + new string('x', padding) + "\"", StringComparison.Ordinal);
        var body = Encoding.UTF8.GetBytes(text);
        Assert.Equal(size, body.Length);
        return body;
    }

    [Fact]
    public async Task ManifestOf4MiBPlusOne_Is413SizeInvalid_Exactly4MiB_IsAccepted()
    {
        const int limit = 4 * 1024 * 1024;
        string repo = AttackSupport.UniqueRepo("attack/manifest");

        var tooBig = await ManifestOfSizeAsync(repo, limit + 1);
        await AssertRejectedAsync(repo, tooBig, OciManifest, HttpStatusCode.RequestEntityTooLarge, "SIZE_INVALID");

        // The same without Content-Length (chunked): the bounded reader still stops it.
        var tagsBefore = await Client.TagsAsync(repo);
        var chunked = new StreamContent(new MemoryStream(tooBig));
        chunked.Headers.ContentType = new MediaTypeHeaderValue(OciManifest);
        var request = new HttpRequestMessage(HttpMethod.Put, $"/v2/{repo}/manifests/bad") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using (var response = await Client.SendAsync(request))
            await response.AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge, "SIZE_INVALID");
        Assert.Equal(tagsBefore, await Client.TagsAsync(repo));

        var exact = await ManifestOfSizeAsync(repo, limit);
        using (var ok = await Client.PutManifestAsync(repo, "big", exact, OciManifest))
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        using var get = await Client.GetAsync($"/v2/{repo}/manifests/big");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(exact, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ManifestWithUnsupportedDigestInDescriptor_IsManifestInvalid()
    {
        string repo = AttackSupport.UniqueRepo("attack/manifest");
        var body = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{OciManifest}}","config":{"mediaType":"a/b","digest":"md5:d41d8cd98f00b204e9800998ecf8427e","size":0},"layers":[]}""");
        await AssertRejectedAsync(repo, body, OciManifest, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task DuplicateKeys_CannotSmuggleAMissingBlobPastValidation()
    {
        // Go, Python and JavaScript clients take the last of duplicate keys; whatever Bollard does, the manifest
        // those clients would see must have been validated (or the manifest refused outright).
        string repo = AttackSupport.UniqueRepo("attack/manifest");
        var body = Encoding.UTF8.GetString(await Client.MinimalManifestAsync(repo));
        string missing = RegistryTestClient.Sha256(Encoding.UTF8.GetBytes("missing layer"));
        string smuggled = body.Replace("\"layers\":[]",
            $"\"layers\":[],\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"{missing}\",\"size\":13}}]", StringComparison.Ordinal);
        Assert.NotEqual(body, smuggled);
        using var response = await Client.PutManifestAsync(repo, "smuggled", Encoding.UTF8.GetBytes(smuggled), OciManifest);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(await response.ErrorCodeAsync(), new[] { "MANIFEST_INVALID", "MANIFEST_BLOB_UNKNOWN" });
        Assert.Empty(await Client.TagsAsync(repo));
    }
}
