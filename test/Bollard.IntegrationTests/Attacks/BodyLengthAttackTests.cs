using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Bollard.IntegrationTests.Attacks;

/// <summary>
/// Bodies that do not match what the headers promise: a Content-Length larger than what is sent (over a raw
/// socket that then closes), and a Content-Range whose length disagrees with the body.
/// </summary>
public sealed class BodyLengthAttackTests(SharedServerFixture fixture) : IClassFixture<SharedServerFixture>
{
    private readonly BollardServer _server = fixture.Server;
    private HttpClient Client => _server.Client;

    private static void AssertFailedOrNoAnswer(RawResponse response)
    {
        // Either the server answered with a client error, or it dropped the connection; never a success or a 500.
        Assert.True(response.Status == 0 || response.Status is >= 400 and < 500, $"got {response.Status}: {response.Body}");
    }

    [Fact]
    public async Task MonolithicPost_ShorterThanContentLength_StoresNothing_LeavesNoTempFile()
    {
        string repo = AttackSupport.UniqueRepo("attack/length");
        var data = RegistryTestClient.RandomBytes(10_000);
        string digest = RegistryTestClient.Sha256(data);
        var uploadsBefore = _server.UploadFiles();
        var response = await _server.RawRequestAsync($"POST /v2/{repo}/blobs/uploads/?digest={digest} HTTP/1.1",
            ["Content-Type: application/octet-stream", $"Content-Length: {data.Length}"], data[..4000], halfClose: true);
        AssertFailedOrNoAnswer(response);
        await _server.AssertBlobAbsentAsync(repo, digest);
        await _server.AssertNoNewUploadFilesAsync(uploadsBefore);
        // Also the digest of the truncated part, in case a server committed what it got.
        Assert.False(File.Exists(_server.BlobFile(RegistryTestClient.Sha256(data[..4000]))));
    }

    [Fact]
    public async Task MonolithicPost_TruncatedBodyWhoseDigestMatchesWhatWasSent_IsNotStored()
    {
        // The attacker declares 10 000 bytes but sends 4000 and names the digest of those 4000: the short body
        // must still be refused, because the request was never complete.
        string repo = AttackSupport.UniqueRepo("attack/length");
        var sent = RegistryTestClient.RandomBytes(4000);
        string digest = RegistryTestClient.Sha256(sent);
        var uploadsBefore = _server.UploadFiles();
        var response = await _server.RawRequestAsync($"POST /v2/{repo}/blobs/uploads/?digest={digest} HTTP/1.1",
            ["Content-Type: application/octet-stream", "Content-Length: 10000"], sent, halfClose: true);
        AssertFailedOrNoAnswer(response);
        await _server.AssertBlobAbsentAsync(repo, digest);
        await _server.AssertNoNewUploadFilesAsync(uploadsBefore);
    }

    [Fact]
    public async Task Patch_ShorterThanContentLength_LeavesSessionUnchanged()
    {
        string repo = AttackSupport.UniqueRepo("attack/length");
        var data = RegistryTestClient.RandomBytes(3000);
        string location = await Client.StartUploadAsync(repo);
        using (var first = await Client.PatchAsync(location, data[..1000], 0))
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        var response = await _server.RawRequestAsync($"PATCH {location} HTTP/1.1",
            ["Content-Type: application/octet-stream", "Content-Length: 2000", "Content-Range: 1000-2999"], data[1000..1500], halfClose: true);
        AssertFailedOrNoAnswer(response);
        Assert.True(await AttackSupport.EventuallyAsync(() => new FileInfo(Path.Combine(_server.DataDir, "uploads", location.Split('/')[^1])).Length == 1000),
            "upload temp file was not rolled back to 1000 bytes");
        Assert.Equal("0-999", await Client.UploadRangeAsync(location));

        using (var rest = await Client.PatchAsync(location, data[1000..], 1000))
            Assert.Equal(HttpStatusCode.Accepted, rest.StatusCode);
        using var put = await Client.CloseUploadAsync(location, RegistryTestClient.Sha256(data));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var get = await Client.GetAsync($"/v2/{repo}/blobs/{RegistryTestClient.Sha256(data)}");
        Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ClosingPut_ShorterThanContentLength_StoresNothing()
    {
        string repo = AttackSupport.UniqueRepo("attack/length");
        var data = RegistryTestClient.RandomBytes(2000);
        string digest = RegistryTestClient.Sha256(data);
        string location = await Client.StartUploadAsync(repo);
        using (var first = await Client.PatchAsync(location, data[..1000], 0))
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var response = await _server.RawRequestAsync($"PUT {location}?digest={digest} HTTP/1.1",
            ["Content-Type: application/octet-stream", "Content-Length: 1000"], data[1000..1200], halfClose: true);
        AssertFailedOrNoAnswer(response);
        await _server.AssertBlobAbsentAsync(repo, digest);
        Assert.False(File.Exists(_server.BlobFile(RegistryTestClient.Sha256(data[..1200]))));
        Assert.Equal("0-999", await Client.UploadRangeAsync(location));
    }

    [Fact]
    public async Task ManifestPut_ShorterThanContentLength_StoresNothing()
    {
        string repo = AttackSupport.UniqueRepo("attack/length");
        var body = await Client.MinimalManifestAsync(repo);
        var response = await _server.RawRequestAsync($"PUT /v2/{repo}/manifests/latest HTTP/1.1",
            ["Content-Type: application/vnd.oci.image.manifest.v1+json", $"Content-Length: {body.Length + 50}"], body, halfClose: true);
        AssertFailedOrNoAnswer(response);
        Assert.Empty(await Client.TagsAsync(repo));
        using var get = await Client.GetAsync($"/v2/{repo}/manifests/{RegistryTestClient.Sha256(body)}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Theory]
    [InlineData("0-199")] // declares 200 bytes, body has 100
    [InlineData("0-49")]  // declares 50 bytes, body has 100
    public async Task Patch_ContentRangeLengthDisagreeingWithBody_IsRejected_SessionUnchanged(string range)
    {
        string repo = AttackSupport.UniqueRepo("attack/length");
        string location = await Client.StartUploadAsync(repo);
        var content = new ByteArrayContent(RegistryTestClient.RandomBytes(100));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.TryAddWithoutValidation("Content-Range", range);
        using (var response = await Client.PatchAsync(location, content))
        {
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestedRangeNotSatisfiable, $"got {response.StatusCode}");
            Assert.Contains(await response.ErrorCodeAsync(), new[] { "BLOB_UPLOAD_INVALID", "SIZE_INVALID" });
        }
        Assert.Equal("0-0", await Client.UploadRangeAsync(location));
        Assert.Equal(0, new FileInfo(Path.Combine(_server.DataDir, "uploads", location.Split('/')[^1])).Length);

        var data = RegistryTestClient.RandomBytes(10);
        using var put = await Client.CloseUploadAsync(location, RegistryTestClient.Sha256(data), data);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("5-2")]
    [InlineData("-5")]
    [InlineData("0-99999999999999999999999")]
    [InlineData("99999999999999999999999-1")]
    [InlineData("bytes */100")]
    public async Task Patch_MalformedContentRange_IsClientError_SessionUnchanged(string range)
    {
        string repo = AttackSupport.UniqueRepo("attack/length");
        string location = await Client.StartUploadAsync(repo);
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes("hello"));
        content.Headers.TryAddWithoutValidation("Content-Range", range);
        using (var response = await Client.PatchAsync(location, content))
        {
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestedRangeNotSatisfiable, $"got {response.StatusCode}");
            Assert.Contains(await response.ErrorCodeAsync(), new[] { "BLOB_UPLOAD_INVALID", "SIZE_INVALID" });
        }
        Assert.Equal("0-0", await Client.UploadRangeAsync(location));
    }

    [Fact]
    public async Task ClosingPut_ContentRangeLengthDisagreeingWithBody_StoresNothing_SessionUnchanged()
    {
        string repo = AttackSupport.UniqueRepo("attack/length");
        var data = RegistryTestClient.RandomBytes(300);
        string digest = RegistryTestClient.Sha256(data);
        string location = await Client.StartUploadAsync(repo);
        using (var first = await Client.PatchAsync(location, data[..100], 0))
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var content = new ByteArrayContent(data[100..]);
        content.Headers.TryAddWithoutValidation("Content-Range", "100-499");
        using (var put = await Client.PutAsync($"{location}?digest={digest}", content))
        {
            Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
            Assert.Contains(await put.ErrorCodeAsync(), new[] { "BLOB_UPLOAD_INVALID", "SIZE_INVALID" });
        }
        await _server.AssertBlobAbsentAsync(repo, digest);
        Assert.Equal("0-99", await Client.UploadRangeAsync(location));
        using var ok = await Client.CloseUploadAsync(location, digest, data[100..]);
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
    }

    [Fact]
    public async Task ConnectionResetMidBody_LeavesNothing_AndSessionUnchanged()
    {
        string repo = AttackSupport.UniqueRepo("attack/length");
        var data = RegistryTestClient.RandomBytes(400_000);
        string digest = RegistryTestClient.Sha256(data);
        var uploadsBefore = _server.UploadFiles();

        // Monolithic: no blob, no temp file.
        await _server.RawRequestAsync($"POST /v2/{repo}/blobs/uploads/?digest={digest} HTTP/1.1",
            ["Content-Type: application/octet-stream", $"Content-Length: {data.Length}"], data[..150_000], reset: true);
        await _server.AssertNoNewUploadFilesAsync(uploadsBefore);
        await _server.AssertBlobAbsentAsync(repo, digest);

        // Chunked: the half-received chunk is rolled back.
        string location = await Client.StartUploadAsync(repo);
        using (var first = await Client.PatchAsync(location, data[..100_000], 0))
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        await _server.RawRequestAsync($"PATCH {location} HTTP/1.1",
            ["Content-Type: application/octet-stream", "Content-Length: 300000", "Content-Range: 100000-399999"], data[100_000..250_000], reset: true);
        string temp = Path.Combine(_server.DataDir, "uploads", location.Split('/')[^1]);
        Assert.True(await AttackSupport.EventuallyAsync(() => new FileInfo(temp).Length == 100_000), "chunk was not rolled back");
        Assert.Equal("0-99999", await Client.UploadRangeAsync(location));
        using (var rest = await Client.PatchAsync(location, data[100_000..], 100_000))
            Assert.Equal(HttpStatusCode.Accepted, rest.StatusCode);
        using var put = await Client.CloseUploadAsync(location, digest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }
}
