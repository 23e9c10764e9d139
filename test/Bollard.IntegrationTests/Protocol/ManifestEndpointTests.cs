using System.Net;
using System.Net.Http.Headers;

namespace Bollard.IntegrationTests.Protocol;

/// <summary>Manifest GET/HEAD content negotiation, malformed references, deletes and unsupported methods.</summary>
public sealed class ManifestEndpointTests(SharedServerFixture fixture) : IClassFixture<SharedServerFixture>
{
    private const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    private const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    private const string OciIndex = "application/vnd.oci.image.index.v1+json";
    private readonly BollardServer _server = fixture.Server;
    private HttpClient Client => _server.Client;

    /// <summary>A client without the fixture's default <c>Accept: */*</c>.</summary>
    private HttpClient BareClient() => new() { BaseAddress = _server.BaseAddress };

    [Fact]
    public async Task Accept_ExcludingStoredType_IsManifestUnknown_IncludingIt_Is200ExactBytes()
    {
        string repo = AttackSupport.UniqueRepo("protocol/manifests");
        var (body, digest) = await Client.PushImageAsync(repo, "v1");
        using var bare = BareClient();

        foreach (string reference in new[] { "v1", digest })
        {
            foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
            {
                var excluded = new HttpRequestMessage(method, $"/v2/{repo}/manifests/{reference}");
                excluded.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(DockerManifest));
                excluded.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciIndex));
                using var no = await bare.SendAsync(excluded);
                await no.AssertErrorAsync(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
            }

            foreach (string? accept in new[] { OciManifest, $"{DockerManifest}, {OciManifest};q=0.5", "*/*", null })
            {
                var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repo}/manifests/{reference}");
                if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
                using var ok = await bare.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
                Assert.Equal(OciManifest, ok.Content.Headers.ContentType!.MediaType);
                Assert.Equal(digest, ok.Headers.GetValues("Docker-Content-Digest").Single());
                Assert.Equal(body, await ok.Content.ReadAsByteArrayAsync());
            }
        }

        // Two Accept header lines, the stored type only in the second.
        var split = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repo}/manifests/v1");
        split.Headers.TryAddWithoutValidation("Accept", DockerManifest);
        split.Headers.TryAddWithoutValidation("Accept", OciManifest);
        using var splitResponse = await bare.SendAsync(split);
        Assert.Equal(HttpStatusCode.OK, splitResponse.StatusCode);

        using var head = await bare.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repo}/manifests/v1"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(body.Length, head.Content.Headers.ContentLength);
        Assert.Equal(digest, head.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("sha256:totallywrong")]
    [InlineData("sha256:")]
    [InlineData("sha256:0000")]
    [InlineData("foo:bar")]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("no-such-tag")]
    public async Task WrongReference_Is400Or404_Never500(string reference)
    {
        string repo = AttackSupport.UniqueRepo("protocol/manifests");
        await Client.PushImageAsync(repo, "v1", layers: 1, layerSize: 10);
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head, HttpMethod.Delete })
        {
            using var response = await Client.SendAsync(new HttpRequestMessage(method, $"/v2/{repo}/manifests/{reference}"));
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{method} gave {response.StatusCode}");
            if (method != HttpMethod.Head)
                Assert.Contains(await response.ErrorCodeAsync(), new[] { "DIGEST_INVALID", "MANIFEST_UNKNOWN", "MANIFEST_INVALID", "TAG_INVALID" });
        }
        Assert.Equal(["v1"], await Client.TagsAsync(repo));
    }

    [Fact]
    public async Task ManifestOfUnknownRepository_IsNotFound()
    {
        using var response = await Client.GetAsync("/v2/protocol/never-pushed/manifests/latest");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(await response.ErrorCodeAsync(), new[] { "NAME_UNKNOWN", "MANIFEST_UNKNOWN" });
    }

    [Fact]
    public async Task DeleteByDigest_RemovesManifestAndAllItsTags()
    {
        string repo = AttackSupport.UniqueRepo("protocol/manifests");
        var (body, digest) = await Client.PushImageAsync(repo, "a", layers: 1, layerSize: 10);
        foreach (string tag in new[] { "b", "c" })
        {
            using var put = await Client.PutManifestAsync(repo, tag, body, OciManifest);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
        await Client.PushImageAsync(repo, "other", layers: 1, layerSize: 10);
        Assert.Equal(["a", "b", "c", "other"], await Client.TagsAsync(repo));

        using (var del = await Client.DeleteAsync($"/v2/{repo}/manifests/{digest}"))
            Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);
        Assert.Equal(["other"], await Client.TagsAsync(repo));
        foreach (string reference in new[] { "a", "b", "c", digest })
        {
            using var get = await Client.GetAsync($"/v2/{repo}/manifests/{reference}");
            await get.AssertErrorAsync(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        }
        using var again = await Client.DeleteAsync($"/v2/{repo}/manifests/{digest}");
        await again.AssertErrorAsync(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task DeleteByTag_RemovesOnlyTheTag()
    {
        string repo = AttackSupport.UniqueRepo("protocol/manifests");
        var (body, digest) = await Client.PushImageAsync(repo, "a", layers: 1, layerSize: 10);
        using (var put = await Client.PutManifestAsync(repo, "b", body, OciManifest))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        using (var del = await Client.DeleteAsync($"/v2/{repo}/manifests/a"))
            Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);
        Assert.Equal(["b"], await Client.TagsAsync(repo));
        using (var byDigest = await Client.GetAsync($"/v2/{repo}/manifests/{digest}"))
        {
            Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
            Assert.Equal(body, await byDigest.Content.ReadAsByteArrayAsync());
        }
        using (var byTag = await Client.GetAsync($"/v2/{repo}/manifests/a"))
            await byTag.AssertErrorAsync(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        using var again = await Client.DeleteAsync($"/v2/{repo}/manifests/a");
        await again.AssertErrorAsync(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task RetaggingMovesTheTag_AndTheOldManifestStaysByDigest()
    {
        string repo = AttackSupport.UniqueRepo("protocol/manifests");
        var (first, firstDigest) = await Client.PushImageAsync(repo, "latest", layers: 1, layerSize: 10);
        var (second, _) = await Client.PushImageAsync(repo, "latest", layers: 1, layerSize: 10);
        using (var get = await Client.GetAsync($"/v2/{repo}/manifests/latest"))
            Assert.Equal(second, await get.Content.ReadAsByteArrayAsync());
        using var old = await Client.GetAsync($"/v2/{repo}/manifests/{firstDigest}");
        Assert.Equal(first, await old.Content.ReadAsByteArrayAsync());
    }

    public static TheoryData<string, string> UnsupportedMethods => new()
    {
        { "POST", "/v2/{repo}/manifests/v1" },
        { "PATCH", "/v2/{repo}/manifests/v1" },
        { "PUT", "/v2/{repo}/blobs/{digest}" },
        { "POST", "/v2/{repo}/blobs/{digest}" },
        { "PATCH", "/v2/{repo}/blobs/{digest}" },
        { "DELETE", "/v2/{repo}/tags/list" },
        { "PUT", "/v2/{repo}/tags/list" },
        { "POST", "/v2/_catalog" },
        { "DELETE", "/v2/_catalog" },
        { "GET", "/v2/{repo}/blobs/uploads/" },
        { "PUT", "/v2/{repo}/blobs/uploads/" },
        { "DELETE", "/v2/{repo}/referrers/{digest}" },
        { "POST", "/v2/{repo}/blobs/uploads/{upload}" },
        { "DELETE", "/v2/" },
        { "TRACE", "/v2/{repo}/manifests/v1" },
        { "OPTIONS", "/v2/{repo}/manifests/v1" },
        { "FOO", "/v2/{repo}/manifests/v1" },
    };

    [Theory]
    [MemberData(nameof(UnsupportedMethods))]
    public async Task UnsupportedMethod_Is405Unsupported_AndChangesNothing(string method, string pathTemplate)
    {
        string repo = AttackSupport.UniqueRepo("protocol/methods");
        var (body, digest) = await Client.PushImageAsync(repo, "v1", layers: 1, layerSize: 10);
        string upload = await Client.StartUploadAsync(repo);
        string path = pathTemplate.Replace("{repo}", repo, StringComparison.Ordinal).Replace("{digest}", digest, StringComparison.Ordinal)
            .Replace("/v2/" + repo + "/blobs/uploads/{upload}", upload, StringComparison.Ordinal);
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT" or "PATCH") request.Content = new ByteArrayContent([1, 2, 3]);
        using var response = await Client.SendAsync(request);
        await response.AssertErrorAsync(HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");

        Assert.Equal(["v1"], await Client.TagsAsync(repo));
        using var get = await Client.GetAsync($"/v2/{repo}/manifests/v1");
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal("0-0", await Client.UploadRangeAsync(upload));
    }

    [Fact]
    public async Task UnknownEndpointsUnderV2_Are404_Not500()
    {
        foreach (string path in new[] { "/v2/x/unknown/thing", "/v2/x", "/v2/x/manifests", "/v2/x/blobs", "/v2/_catalog/extra", "/v2/x/referrers" })
        {
            using var response = await Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }
}
