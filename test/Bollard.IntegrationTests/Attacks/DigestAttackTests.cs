using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Bollard.IntegrationTests.Attacks;

/// <summary>Wrong, unsupported, malformed and path-escaping digests; and sha512 working end to end.</summary>
public sealed class DigestAttackTests(SharedServerFixture fixture) : IClassFixture<SharedServerFixture>
{
    private const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    private readonly BollardServer _server = fixture.Server;
    private HttpClient Client => _server.Client;

    private static ByteArrayContent Octets(byte[] data) =>
        new(data) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } };

    public static TheoryData<string> BadDigests => new()
    {
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
        "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", // upper-case hex
        "SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", // one short
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555", // one long
        "sha256:",
        "sha256",
        ":e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha256:totallywrong",
        "sha256:..%2F..%2F..%2Fetc%2Fpasswd",
        "sha256%3A..%2F..%2Fetc%2Fpasswd",
        "sha256:%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "sha256:..%5C..%5Cwindows",
        "sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", // sha256 length under sha512
    };

    [Theory]
    [MemberData(nameof(BadDigests))]
    public async Task MonolithicPushWithBadDigest_IsDigestInvalid_NothingStored(string digest)
    {
        string repo = AttackSupport.UniqueRepo("attack/digest");
        var blobsBefore = _server.BlobFiles();
        var uploadsBefore = _server.UploadFiles();
        using (var response = await _server.SendRawPathAsync(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/?digest={digest}", Octets([])))
            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        Assert.Equal(blobsBefore, _server.BlobFiles());
        await _server.AssertNoNewUploadFilesAsync(uploadsBefore);
    }

    [Theory]
    [MemberData(nameof(BadDigests))]
    public async Task BadDigestInPath_IsDigestInvalid_Never500(string digest)
    {
        string repo = AttackSupport.UniqueRepo("attack/digest");
        await Client.PushBlobAsync(repo, [1, 2, 3]);
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head, HttpMethod.Delete })
        {
            using var blob = await _server.SendRawPathAsync(method, $"/v2/{repo}/blobs/{digest}");
            await blob.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }
        using var referrers = await _server.SendRawPathAsync(HttpMethod.Get, $"/v2/{repo}/referrers/{digest}");
        await referrers.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using var manifest = await _server.SendRawPathAsync(HttpMethod.Get, $"/v2/{repo}/manifests/{digest}");
        Assert.True(manifest.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"manifest GET gave {manifest.StatusCode}");
    }

    [Theory]
    [InlineData("sha256:../../etc/passwd")]
    [InlineData("sha256:../../../../../../bollard.db")]
    [InlineData("sha256:/etc/passwd")]
    [InlineData("sha256:..\\..\\etc\\passwd")]
    public async Task DigestWithLiteralSlashesInPath_IsDigestInvalid_Never500(string digest)
    {
        string repo = AttackSupport.UniqueRepo("attack/digest");
        await Client.PushBlobAsync(repo, [1, 2, 3]);
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head, HttpMethod.Delete })
        {
            using var blob = await _server.SendRawPathAsync(method, $"/v2/{repo}/blobs/{digest}");
            await blob.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }
        using var manifest = await _server.SendRawPathAsync(HttpMethod.Get, $"/v2/{repo}/manifests/{digest}");
        await manifest.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using var put = await _server.SendRawPathAsync(HttpMethod.Put, $"/v2/{repo}/manifests/{digest}",
            new ByteArrayContent(await Client.MinimalManifestAsync(repo)) { Headers = { ContentType = new MediaTypeHeaderValue(OciManifest) } });
        await put.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Theory]
    [InlineData("sha256:../../etc/passwd")]
    [InlineData("sha256:..%2F..%2Fetc%2Fpasswd")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    public async Task BadDigestOnClosingPutAndMount_IsDigestInvalid_UploadUnchanged(string digest)
    {
        string repo = AttackSupport.UniqueRepo("attack/digest");
        var blobsBefore = _server.BlobFiles();
        string location = await Client.StartUploadAsync(repo);
        using (var patch = await Client.PatchAsync(location, [1, 2, 3, 4], 0))
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);

        using (var put = await _server.SendRawPathAsync(HttpMethod.Put, $"{location}?digest={digest}", Octets([])))
            await put.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using (var mount = await _server.SendRawPathAsync(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/?mount={digest}&from={repo}"))
            await mount.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        Assert.Equal(blobsBefore, _server.BlobFiles());

        // The session is untouched by a request that could not even name a digest.
        Assert.Equal("0-3", await Client.UploadRangeAsync(location));
        using var ok = await Client.CloseUploadAsync(location, RegistryTestClient.Sha256([1, 2, 3, 4]));
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
    }

    [Fact]
    public async Task MonolithicPushWithMismatchedDigest_IsDigestInvalid_NothingStored()
    {
        string repo = AttackSupport.UniqueRepo("attack/digest");
        var data = RegistryTestClient.RandomBytes(64 * 1024);
        string claimed = RegistryTestClient.Sha256(RegistryTestClient.RandomBytes(10));
        var uploadsBefore = _server.UploadFiles();
        using (var response = await Client.PostAsync($"/v2/{repo}/blobs/uploads/?digest={claimed}", Octets(data)))
            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await _server.AssertBlobAbsentAsync(repo, claimed);
        Assert.False(File.Exists(_server.BlobFile(RegistryTestClient.Sha256(data))));
        await _server.AssertNoNewUploadFilesAsync(uploadsBefore);
    }

    [Fact]
    public async Task ChunkedUploadClosedWithMismatchedDigest_IsDigestInvalid_NothingStored()
    {
        string repo = AttackSupport.UniqueRepo("attack/digest");
        var data = RegistryTestClient.RandomBytes(1000);
        string claimed = RegistryTestClient.Sha256(RegistryTestClient.RandomBytes(10));
        var uploadsBefore = _server.UploadFiles();
        string location = await Client.StartUploadAsync(repo);
        using (var patch = await Client.PatchAsync(location, data, 0))
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        using (var put = await Client.CloseUploadAsync(location, claimed))
            await put.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await _server.AssertBlobAbsentAsync(repo, claimed);
        Assert.False(File.Exists(_server.BlobFile(RegistryTestClient.Sha256(data))));
        await _server.AssertNoNewUploadFilesAsync(uploadsBefore);
    }

    [Fact]
    public async Task ClosingPutWithoutDigest_IsDigestInvalid_UploadStillUsable()
    {
        string repo = AttackSupport.UniqueRepo("attack/digest");
        string location = await Client.StartUploadAsync(repo);
        using (var put = await Client.PutAsync(location, Octets([9, 9])))
            await put.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        Assert.Equal("0-0", await Client.UploadRangeAsync(location));
        using var ok = await Client.CloseUploadAsync(location, RegistryTestClient.Sha256([9, 9]), [9, 9]);
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
    }

    [Fact]
    public async Task Sha512Blobs_PushedMonolithicAndChunked_ArePulledBack()
    {
        string repo = AttackSupport.UniqueRepo("attack/digest");
        var data = RegistryTestClient.RandomBytes(300_000);
        string digest = AttackSupport.Sha512(data);
        using (var post = await Client.PostAsync($"/v2/{repo}/blobs/uploads/?digest={digest}", Octets(data)))
        {
            Assert.Equal(HttpStatusCode.Created, post.StatusCode);
            Assert.Equal(digest, post.Headers.GetValues("Docker-Content-Digest").Single());
        }
        using (var get = await Client.GetAsync($"/v2/{repo}/blobs/{digest}"))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(digest, get.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
        }
        Assert.True(File.Exists(_server.BlobFile(digest)));

        var data2 = RegistryTestClient.RandomBytes(200_000);
        string digest2 = AttackSupport.Sha512(data2);
        string location = await Client.StartUploadAsync(repo);
        using (var p1 = await Client.PatchAsync(location, data2[..100_000], 0)) Assert.Equal(HttpStatusCode.Accepted, p1.StatusCode);
        using (var p2 = await Client.PatchAsync(location, data2[100_000..], 100_000)) Assert.Equal(HttpStatusCode.Accepted, p2.StatusCode);
        using (var put = await Client.CloseUploadAsync(location, digest2)) Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var head = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repo}/blobs/{digest2}"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(data2.Length, head.Content.Headers.ContentLength);

        // The sha256 of the same bytes is a different blob the repository does not have.
        await _server.AssertBlobAbsentAsync(repo, RegistryTestClient.Sha256(data));
    }

    [Fact]
    public async Task Sha512Manifest_ReferencingSha512Blobs_IsPushedAndPulledByDigest()
    {
        string repo = AttackSupport.UniqueRepo("attack/digest");
        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
        var layer = RegistryTestClient.RandomBytes(5000);
        string configDigest = AttackSupport.Sha512(config), layerDigest = AttackSupport.Sha512(layer);
        foreach (var (data, d) in new[] { (config, configDigest), (layer, layerDigest) })
        {
            using var post = await Client.PostAsync($"/v2/{repo}/blobs/uploads/?digest={d}", Octets(data));
            Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        }
        var manifest = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{OciManifest}}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{layerDigest}}","size":{{layer.Length}}}]}""");
        string digest = AttackSupport.Sha512(manifest);
        using (var put = await Client.PutManifestAsync(repo, digest, manifest, OciManifest))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal(digest, put.Headers.GetValues("Docker-Content-Digest").Single());
        }
        using var get = await Client.GetAsync($"/v2/{repo}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(manifest, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal(digest, get.Headers.GetValues("Docker-Content-Digest").Single());
        using var get256 = await Client.GetAsync($"/v2/{repo}/manifests/{RegistryTestClient.Sha256(manifest)}");
        await get256.AssertErrorAsync(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Theory]
    [InlineData("?digest=")]
    [InlineData("?digest")]
    [InlineData("?mount=")]
    [InlineData("?mount=&from=")]
    [InlineData("?digest={d}&digest={d}")]
    [InlineData("?digest={d}%0D%0AX-Injected:%201")]
    public async Task EmptyRepeatedOrInjectedDigestParameters_AreDigestInvalid_NothingStored(string query)
    {
        string repo = AttackSupport.UniqueRepo("attack/digest");
        var data = new byte[] { 5, 6, 7 };
        string digest = RegistryTestClient.Sha256(data);
        var uploadsBefore = _server.UploadFiles();
        using (var response = await _server.SendRawPathAsync(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/{query.Replace("{d}", digest, StringComparison.Ordinal)}", Octets(data)))
        {
            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
            Assert.False(response.Headers.Contains("X-Injected"));
        }
        await _server.AssertBlobAbsentAsync(repo, digest);
        await _server.AssertNoNewUploadFilesAsync(uploadsBefore);
    }
}
