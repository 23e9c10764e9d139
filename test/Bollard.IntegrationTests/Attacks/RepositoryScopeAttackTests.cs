using System.Net;
using System.Net.Http.Headers;

namespace Bollard.IntegrationTests.Attacks;

/// <summary>
/// Repository isolation: upload ids are usable only through the repository that opened them, and a blob is
/// visible only in repositories it was pushed or mounted into, whatever the shared store holds.
/// </summary>
public sealed class RepositoryScopeAttackTests(SharedServerFixture fixture) : IClassFixture<SharedServerFixture>
{
    private readonly BollardServer _server = fixture.Server;
    private HttpClient Client => _server.Client;

    public static TheoryData<string> UnknownIds => new()
    {
        "0123456789abcdef0123456789abcdef",       // well-formed, never issued
        "00000000000000000000000000000000",
        "0123456789ABCDEF0123456789ABCDEF",       // upper case of a valid shape
        "nope",
        "..%2F..%2Fbollard.db",
        "..%2Fblobs",
        "%2e%2e",
        new string('a', 5000),
    };

    [Theory]
    [MemberData(nameof(UnknownIds))]
    public async Task UnknownUploadId_IsBlobUploadUnknown_ForEveryMethod(string id)
    {
        string repo = AttackSupport.UniqueRepo("attack/scope");
        await Client.PushBlobAsync(repo, [1]); // the repository exists
        string location = $"/v2/{repo}/blobs/uploads/{id}";
        var blobsBefore = _server.BlobFiles();
        var data = new byte[] { 7, 7, 7 };
        string digest = RegistryTestClient.Sha256(data);
        var requests = new (HttpMethod Method, string Path, HttpContent? Body)[]
        {
            (HttpMethod.Get, location, null),
            (HttpMethod.Patch, location, new ByteArrayContent(data) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } }),
            (HttpMethod.Put, $"{location}?digest={digest}", new ByteArrayContent(data) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } }),
            (HttpMethod.Delete, location, null),
        };
        foreach (var (method, path, body) in requests)
        {
            using var response = await _server.SendRawPathAsync(method, path, body);
            await response.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        }
        Assert.Equal(blobsBefore, _server.BlobFiles());
        Assert.True(File.Exists(Path.Combine(_server.DataDir, "bollard.db")));
    }

    [Fact]
    public async Task UploadStartedInA_IsUnknownThroughB_AndStillUsableFromA()
    {
        string a = AttackSupport.UniqueRepo("attack/scope");
        string b = AttackSupport.UniqueRepo("attack/scope");
        await Client.PushBlobAsync(b, [1]); // B exists too; it just does not own the upload
        var data = RegistryTestClient.RandomBytes(2000);
        string digest = RegistryTestClient.Sha256(data);

        string location = await Client.StartUploadAsync(a);
        string id = location.Split('/')[^1];
        using (var p = await Client.PatchAsync(location, data[..1000], 0)) Assert.Equal(HttpStatusCode.Accepted, p.StatusCode);

        string viaB = $"/v2/{b}/blobs/uploads/{id}";
        using (var get = await Client.GetAsync(viaB)) await get.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using (var patch = await Client.PatchAsync(viaB, data[1000..], 1000)) await patch.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using (var put = await Client.CloseUploadAsync(viaB, digest, data[1000..])) await put.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using (var del = await Client.DeleteAsync(viaB)) await del.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");

        // Nothing of it reached B or the store, and A's session is as it was.
        await _server.AssertBlobAbsentAsync(b, digest);
        Assert.Equal("0-999", await Client.UploadRangeAsync(location));
        using (var put = await Client.CloseUploadAsync(location, digest, data[1000..])) Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using (var getA = await Client.GetAsync($"/v2/{a}/blobs/{digest}"))
            Assert.Equal(data, await getA.Content.ReadAsByteArrayAsync());
        using var getB = await Client.GetAsync($"/v2/{b}/blobs/{digest}");
        await getB.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task UploadOfANeverCreatedRepository_CannotBeReachedThroughANestedName()
    {
        // "a" and "a/b" are different repositories: an upload of one is unknown through the other.
        string a = AttackSupport.UniqueRepo("attack/scope");
        string location = await Client.StartUploadAsync(a);
        string id = location.Split('/')[^1];
        using (var nested = await Client.GetAsync($"/v2/{a}/blobs/blobs/uploads/{id}"))
            await nested.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using (var parent = await Client.GetAsync($"/v2/{a[..a.LastIndexOf('/')]}/blobs/uploads/{id}"))
            await parent.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        Assert.Equal("0-0", await Client.UploadRangeAsync(location));
    }

    [Fact]
    public async Task CancelledUpload_IsUnknownAfterwards_AndItsTempFileIsGone()
    {
        string repo = AttackSupport.UniqueRepo("attack/scope");
        string location = await Client.StartUploadAsync(repo);
        string id = location.Split('/')[^1];
        using (var p = await Client.PatchAsync(location, [1, 2, 3], 0)) Assert.Equal(HttpStatusCode.Accepted, p.StatusCode);
        Assert.Contains(id, _server.UploadFiles());
        using (var del = await Client.DeleteAsync(location)) Assert.Equal(HttpStatusCode.NoContent, del.StatusCode);
        Assert.DoesNotContain(id, _server.UploadFiles());
        using (var get = await Client.GetAsync(location)) await get.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using (var del2 = await Client.DeleteAsync(location)) await del2.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Fact]
    public async Task BlobHeldByAnotherRepository_IsBlobUnknown_ForGetHeadAndDelete()
    {
        string owner = AttackSupport.UniqueRepo("attack/scope");
        string stranger = AttackSupport.UniqueRepo("attack/scope");
        await Client.PushBlobAsync(stranger, [0]); // the stranger repository exists
        var data = RegistryTestClient.RandomBytes(500);
        string digest = await Client.PushBlobAsync(owner, data);
        Assert.True(File.Exists(_server.BlobFile(digest)));

        using (var get = await Client.GetAsync($"/v2/{stranger}/blobs/{digest}")) await get.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        using (var head = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{stranger}/blobs/{digest}")))
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        using (var ranged = new HttpRequestMessage(HttpMethod.Get, $"/v2/{stranger}/blobs/{digest}") { Headers = { Range = new RangeHeaderValue(0, 10) } })
        using (var rangedResponse = await Client.SendAsync(ranged))
            await rangedResponse.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        using (var del = await Client.DeleteAsync($"/v2/{stranger}/blobs/{digest}")) await del.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        // A repository that does not exist at all is no different.
        using (var none = await Client.GetAsync($"/v2/attack/never/blobs/{digest}")) await none.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");

        using var ownerGet = await Client.GetAsync($"/v2/{owner}/blobs/{digest}");
        Assert.Equal(data, await ownerGet.Content.ReadAsByteArrayAsync());
        Assert.True(File.Exists(_server.BlobFile(digest)));
    }
}
