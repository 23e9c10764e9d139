using System.Net;
using System.Net.Http.Headers;

namespace Bollard.IntegrationTests.Protocol;

/// <summary>Conditional and multi-range blob GETs, now decided by Bollard's own BlobResponse (issue 6 A2).</summary>
public sealed class BlobConditionalTests(SharedServerFixture fixture) : IClassFixture<SharedServerFixture>
{
    private HttpClient Client => fixture.Server.Client;

    private async Task<HttpResponseMessage> GetAsync(string path, Action<HttpRequestMessage> configure)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        configure(request);
        return await Client.SendAsync(request);
    }

    [Fact]
    public async Task IfMatch_IfRange_MultiRange()
    {
        string repo = AttackSupport.UniqueRepo("protocol/blobs");
        var data = RegistryTestClient.RandomBytes(1000);
        string digest = await Client.PushBlobAsync(repo, data);
        string path = $"/v2/{repo}/blobs/{digest}";
        var etag = new EntityTagHeaderValue($"\"{digest}\"");

        using (var match = await GetAsync(path, r => r.Headers.IfMatch.Add(etag)))
        {
            Assert.Equal(HttpStatusCode.OK, match.StatusCode);
            Assert.Equal(data, await match.Content.ReadAsByteArrayAsync());
        }
        using (var mismatch = await GetAsync(path, r => r.Headers.IfMatch.Add(new EntityTagHeaderValue("\"sha256:other\""))))
            Assert.Equal(HttpStatusCode.PreconditionFailed, mismatch.StatusCode);

        using (var sameRange = await GetAsync(path, r => { r.Headers.Range = new RangeHeaderValue(10, 19); r.Headers.IfRange = new RangeConditionHeaderValue(etag); }))
        {
            Assert.Equal(HttpStatusCode.PartialContent, sameRange.StatusCode);
            Assert.Equal(data[10..20], await sameRange.Content.ReadAsByteArrayAsync());
        }
        using (var staleRange = await GetAsync(path, r => { r.Headers.Range = new RangeHeaderValue(10, 19); r.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue("\"sha256:other\"")); }))
        {
            // RFC 9110 13.1.5: If-Range names another representation, so the whole blob.
            Assert.Equal(HttpStatusCode.OK, staleRange.StatusCode);
            Assert.Equal(data, await staleRange.Content.ReadAsByteArrayAsync());
        }
        using (var multi = await GetAsync(path, r => r.Headers.TryAddWithoutValidation("Range", "bytes=0-9,20-29")))
        {
            // multipart/byteranges is not served: the Range is ignored, as RFC 9110 14.2 allows.
            Assert.Equal(HttpStatusCode.OK, multi.StatusCode);
            Assert.Equal(data, await multi.Content.ReadAsByteArrayAsync());
        }
        using var empty = await GetAsync(path, r => r.Headers.TryAddWithoutValidation("Range", "bytes=-0"));
        Assert.True(empty.StatusCode is HttpStatusCode.RequestedRangeNotSatisfiable or HttpStatusCode.OK, $"got {empty.StatusCode}");
    }
}
