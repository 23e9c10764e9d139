using System.Net;
using System.Net.Http.Headers;

namespace Bollard.IntegrationTests.Protocol;

/// <summary>Blob reads (ranges, ETags), blob deletes and cross-repository mounts.</summary>
public sealed class BlobEndpointTests(SharedServerFixture fixture) : IClassFixture<SharedServerFixture>
{
    private readonly BollardServer _server = fixture.Server;
    private HttpClient Client => _server.Client;

    private async Task<HttpResponseMessage> GetAsync(string path, Action<HttpRequestMessage>? configure = null, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        configure?.Invoke(request);
        return await Client.SendAsync(request);
    }

    [Fact]
    public async Task Get_And_Head_ServeTheBlobWithDigestAndLength()
    {
        string repo = AttackSupport.UniqueRepo("protocol/blobs");
        var data = RegistryTestClient.RandomBytes(10_000);
        string digest = await Client.PushBlobAsync(repo, data);
        using (var get = await GetAsync($"/v2/{repo}/blobs/{digest}"))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(digest, get.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.Equal(data.Length, get.Content.Headers.ContentLength);
            Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
        }
        using var head = await GetAsync($"/v2/{repo}/blobs/{digest}", method: HttpMethod.Head);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(data.Length, head.Content.Headers.ContentLength);
        Assert.Equal(digest, head.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task RangeRequests_206WithContentRange_Suffix_And416()
    {
        string repo = AttackSupport.UniqueRepo("protocol/blobs");
        var data = RegistryTestClient.RandomBytes(1000);
        string digest = await Client.PushBlobAsync(repo, data);
        string path = $"/v2/{repo}/blobs/{digest}";

        using (var mid = await GetAsync(path, r => r.Headers.Range = new RangeHeaderValue(100, 199)))
        {
            Assert.Equal(HttpStatusCode.PartialContent, mid.StatusCode);
            Assert.Equal("bytes 100-199/1000", mid.Content.Headers.ContentRange!.ToString());
            Assert.Equal(data[100..200], await mid.Content.ReadAsByteArrayAsync());
        }
        using (var open = await GetAsync(path, r => r.Headers.Range = new RangeHeaderValue(990, null)))
        {
            Assert.Equal(HttpStatusCode.PartialContent, open.StatusCode);
            Assert.Equal("bytes 990-999/1000", open.Content.Headers.ContentRange!.ToString());
            Assert.Equal(data[990..], await open.Content.ReadAsByteArrayAsync());
        }
        using (var suffix = await GetAsync(path, r => r.Headers.Range = new RangeHeaderValue(null, 5)))
        {
            Assert.Equal(HttpStatusCode.PartialContent, suffix.StatusCode);
            Assert.Equal("bytes 995-999/1000", suffix.Content.Headers.ContentRange!.ToString());
            Assert.Equal(data[995..], await suffix.Content.ReadAsByteArrayAsync());
        }
        using (var past = await GetAsync(path, r => r.Headers.Range = new RangeHeaderValue(500, 5000)))
        {
            Assert.Equal(HttpStatusCode.PartialContent, past.StatusCode);
            Assert.Equal(data[500..], await past.Content.ReadAsByteArrayAsync());
        }
        using (var unsatisfiable = await GetAsync(path, r => r.Headers.Range = new RangeHeaderValue(1000, null)))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, unsatisfiable.StatusCode);
            Assert.Equal("bytes */1000", unsatisfiable.Content.Headers.ContentRange!.ToString());
        }
        using (var garbage = await GetAsync(path, r => r.Headers.TryAddWithoutValidation("Range", "bytes=abc")))
        {
            // An unparseable Range is ignored (RFC 9110 14.2): the whole blob.
            Assert.Equal(HttpStatusCode.OK, garbage.StatusCode);
            Assert.Equal(data, await garbage.Content.ReadAsByteArrayAsync());
        }
        using (var huge = await GetAsync(path, r => r.Headers.TryAddWithoutValidation("Range", "bytes=0-99999999999999999999999")))
            Assert.True(huge.StatusCode is HttpStatusCode.OK or HttpStatusCode.PartialContent or HttpStatusCode.RequestedRangeNotSatisfiable, $"got {huge.StatusCode}");
    }

    [Fact]
    public async Task ETag_IfNoneMatch_Is304()
    {
        string repo = AttackSupport.UniqueRepo("protocol/blobs");
        var data = RegistryTestClient.RandomBytes(100);
        string digest = await Client.PushBlobAsync(repo, data);
        string path = $"/v2/{repo}/blobs/{digest}";
        EntityTagHeaderValue etag;
        using (var get = await GetAsync(path))
            etag = get.Headers.ETag!;
        Assert.NotNull(etag);
        Assert.Contains(digest, etag.Tag, StringComparison.Ordinal);
        using (var head = await GetAsync(path, method: HttpMethod.Head))
            Assert.Equal(etag, head.Headers.ETag);

        using (var cached = await GetAsync(path, r => r.Headers.IfNoneMatch.Add(etag)))
        {
            Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
            Assert.Empty(await cached.Content.ReadAsByteArrayAsync());
        }
        using (var star = await GetAsync(path, r => r.Headers.TryAddWithoutValidation("If-None-Match", "*")))
            Assert.Equal(HttpStatusCode.NotModified, star.StatusCode);
        using var other = await GetAsync(path, r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"sha256:other\"")));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(data, await other.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task BlobDelete_UnlinksOnlyFromThatRepository()
    {
        string a = AttackSupport.UniqueRepo("protocol/blobs");
        string b = AttackSupport.UniqueRepo("protocol/blobs");
        var data = RegistryTestClient.RandomBytes(2000);
        string digest = await Client.PushBlobAsync(a, data);
        await Client.PushBlobAsync(b, data);

        using (var del = await Client.DeleteAsync($"/v2/{a}/blobs/{digest}"))
            Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);
        using (var getA = await Client.GetAsync($"/v2/{a}/blobs/{digest}"))
            await getA.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        using (var headA = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{a}/blobs/{digest}")))
            Assert.Equal(HttpStatusCode.NotFound, headA.StatusCode);
        using (var getB = await Client.GetAsync($"/v2/{b}/blobs/{digest}"))
        {
            Assert.Equal(HttpStatusCode.OK, getB.StatusCode);
            Assert.Equal(data, await getB.Content.ReadAsByteArrayAsync());
        }
        Assert.True(File.Exists(_server.BlobFile(digest)));
        using var again = await Client.DeleteAsync($"/v2/{a}/blobs/{digest}");
        await again.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");

        // Pushing it again into A brings it back there.
        await Client.PushBlobAsync(a, data);
        using var back = await Client.GetAsync($"/v2/{a}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }

    [Fact]
    public async Task Mount_FromRepositoryHoldingTheBlob_Is201_AndReadableInTarget()
    {
        string source = AttackSupport.UniqueRepo("protocol/mount");
        string target = AttackSupport.UniqueRepo("protocol/mount");
        var data = RegistryTestClient.RandomBytes(3000);
        string digest = await Client.PushBlobAsync(source, data);
        var filesBefore = _server.BlobFiles();

        using (var mount = await Client.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={source}", null))
        {
            Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
            Assert.Equal($"/v2/{target}/blobs/{digest}", mount.Headers.Location!.OriginalString);
            Assert.Equal(digest, mount.Headers.GetValues("Docker-Content-Digest").Single());
        }
        using (var get = await Client.GetAsync($"/v2/{target}/blobs/{digest}"))
            Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal(filesBefore, _server.BlobFiles()); // no copy
    }

    [Fact]
    public async Task Mount_FromRepositoryNotHoldingIt_Is202WithFreshUpload()
    {
        string holder = AttackSupport.UniqueRepo("protocol/mount");
        string empty = AttackSupport.UniqueRepo("protocol/mount");
        string target = AttackSupport.UniqueRepo("protocol/mount");
        var data = RegistryTestClient.RandomBytes(500);
        string digest = await Client.PushBlobAsync(holder, data);
        await Client.PushBlobAsync(empty, [1]);

        foreach (string from in new[] { empty, "protocol/mount/never-existed" })
        {
            using var mount = await Client.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={from}", null);
            Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
            string location = mount.Headers.Location!.OriginalString;
            Assert.StartsWith($"/v2/{target}/blobs/uploads/", location, StringComparison.Ordinal);
            Assert.Equal("0-0", mount.UploadRange());
            using (var get = await Client.GetAsync($"/v2/{target}/blobs/{digest}"))
                await get.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");

            // The fresh upload works like any other.
            var other = RegistryTestClient.RandomBytes(64);
            using var put = await Client.CloseUploadAsync(location, RegistryTestClient.Sha256(other), other);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
    }

    [Fact]
    public async Task Mount_WithoutFrom_OfKnownBlob_Is201_OfUnknownDigest_Is202()
    {
        string holder = AttackSupport.UniqueRepo("protocol/mount");
        string target = AttackSupport.UniqueRepo("protocol/mount");
        var data = RegistryTestClient.RandomBytes(500);
        string digest = await Client.PushBlobAsync(holder, data);

        using (var mount = await Client.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}", null))
            Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        using (var get = await Client.GetAsync($"/v2/{target}/blobs/{digest}"))
            Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());

        string unknown = RegistryTestClient.Sha256(RegistryTestClient.RandomBytes(10));
        foreach (string url in new[] { $"/v2/{target}/blobs/uploads/?mount={unknown}", $"/v2/{target}/blobs/uploads/?mount={unknown}&from={holder}" })
        {
            using var mount = await Client.PostAsync(url, null);
            Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
            Assert.Contains("/blobs/uploads/", mount.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }
        await _server.AssertBlobAbsentAsync(target, unknown);
    }

    [Fact]
    public async Task Mount_OfBlobDeletedFromSource_Is202()
    {
        string source = AttackSupport.UniqueRepo("protocol/mount");
        string target = AttackSupport.UniqueRepo("protocol/mount");
        string digest = await Client.PushBlobAsync(source, RegistryTestClient.RandomBytes(100));
        using (var del = await Client.DeleteAsync($"/v2/{source}/blobs/{digest}"))
            Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);
        using var mount = await Client.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={source}", null);
        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        using var get = await Client.GetAsync($"/v2/{target}/blobs/{digest}");
        await get.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task EmptyBlob_CanBePushedAndRead()
    {
        string repo = AttackSupport.UniqueRepo("protocol/blobs");
        string digest = await Client.PushBlobAsync(repo, []);
        using var get = await Client.GetAsync($"/v2/{repo}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Empty(await get.Content.ReadAsByteArrayAsync());
        Assert.Equal("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", digest);
    }
}
