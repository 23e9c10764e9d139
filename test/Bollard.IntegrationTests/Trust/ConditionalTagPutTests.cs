using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Bollard.IntegrationTests.Trust;

/// <summary>Conditional manifest PUT over HTTP: If-Match / If-None-Match on a tag, 412 PRECONDITION_FAILED when it moved.</summary>
public sealed class ConditionalTagPutTests(SharedServerFixture fixture) : IClassFixture<SharedServerFixture>
{
    private HttpClient Client => fixture.Server.Client;

    private static byte[] Index(string n) =>
        Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[],\"annotations\":{\"n\":\"" + n + "\"}}");

    private async Task<HttpResponseMessage> PutAsync(string repo, string tag, byte[] body, string? ifMatch = null, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v2/{repo}/manifests/{tag}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.oci.image.index.v1+json");
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        if (ifNoneMatch is not null) request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return await Client.SendAsync(request);
    }

    [Fact]
    public async Task PutByTag_WithAStaleIfMatch_Is412_AndTheTagStays()
    {
        string repo = AttackSupport.UniqueRepo("trust/conditional");
        using (var created = await PutAsync(repo, "sig", Index("1"), ifNoneMatch: "*"))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using (var again = await PutAsync(repo, "sig", Index("1b"), ifNoneMatch: "*"))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, again.StatusCode);
            Assert.Equal("PRECONDITION_FAILED", await again.ErrorCodeAsync());
        }

        // The ETag of the tag's manifest is what If-Match names.
        using var get = await Client.GetAsync($"/v2/{repo}/manifests/sig");
        string etag = get.Headers.ETag!.Tag;
        Assert.Equal($"\"{RegistryTestClient.Sha256(Index("1"))}\"", etag);

        using (var moved = await PutAsync(repo, "sig", Index("2"), ifMatch: etag))
            Assert.Equal(HttpStatusCode.Created, moved.StatusCode);
        using (var stale = await PutAsync(repo, "sig", Index("3"), ifMatch: etag))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
            string body = await stale.Content.ReadAsStringAsync();
            Assert.Contains("PRECONDITION_FAILED", body, StringComparison.Ordinal);
            Assert.Contains(RegistryTestClient.Sha256(Index("2")), body, StringComparison.Ordinal);
        }
        using var now = await Client.GetAsync($"/v2/{repo}/manifests/sig");
        Assert.Equal(RegistryTestClient.Sha256(Index("2")), now.Headers.GetValues("Docker-Content-Digest").Single());
        // The refused manifest was not stored either.
        using var refused = await Client.GetAsync($"/v2/{repo}/manifests/{RegistryTestClient.Sha256(Index("3"))}");
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }

    [Fact]
    public async Task PutByTag_WithoutConditions_StillMovesTheTag()
    {
        string repo = AttackSupport.UniqueRepo("trust/conditional");
        using (var a = await PutAsync(repo, "t", Index("a"))) Assert.Equal(HttpStatusCode.Created, a.StatusCode);
        using (var b = await PutAsync(repo, "t", Index("b"))) Assert.Equal(HttpStatusCode.Created, b.StatusCode);
    }
}
