using System.Net;

namespace Bollard.IntegrationTests.Attacks;

/// <summary>
/// distribution-spec "Pushing a blob in chunks": chunks MUST be in order; an out-of-order chunk gets 416, the
/// client then GETs the upload to learn the real offset and carries on.
/// </summary>
public sealed class ChunkOrderAttackTests(SharedServerFixture fixture) : IClassFixture<SharedServerFixture>
{
    private readonly BollardServer _server = fixture.Server;
    private HttpClient Client => _server.Client;

    [Fact]
    public async Task OutOfOrderChunk_Is416_StatusShowsRealOffset_UploadCanComplete()
    {
        string repo = AttackSupport.UniqueRepo("attack/chunks");
        var data = RegistryTestClient.RandomBytes(3000);
        string location = await Client.StartUploadAsync(repo);

        // First chunk not starting at 0.
        using (var early = await Client.PatchAsync(location, data[1000..2000], 1000))
            await early.AssertErrorAsync(HttpStatusCode.RequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID");
        Assert.Equal("0-0", await Client.UploadRangeAsync(location));

        using (var first = await Client.PatchAsync(location, data[..1000], 0))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            Assert.Equal("0-999", first.UploadRange());
        }

        // Skipping ahead (gap) and going back (overlap) are both out of order.
        using (var gap = await Client.PatchAsync(location, data[2000..], 2000))
            await gap.AssertErrorAsync(HttpStatusCode.RequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID");
        using (var overlap = await Client.PatchAsync(location, data[500..1500], 500))
            await overlap.AssertErrorAsync(HttpStatusCode.RequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID");

        using (var status = await Client.GetAsync(location))
        {
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal("0-999", status.UploadRange());
            Assert.NotNull(status.Headers.Location);
            Assert.Equal(location.Split('/')[^1], status.Headers.GetValues("Docker-Upload-UUID").Single());
        }

        using (var second = await Client.PatchAsync(location, data[1000..2000], 1000))
            Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);

        // A retried stale chunk (the client did not see the 202 and sends it again) is 416 and changes nothing.
        using (var stale = await Client.PatchAsync(location, data[1000..2000], 1000))
            await stale.AssertErrorAsync(HttpStatusCode.RequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID");
        Assert.Equal("0-1999", await Client.UploadRangeAsync(location));

        // The final chunk travels with the closing PUT, with its Content-Range.
        var finalContent = new ByteArrayContent(data[2000..]);
        finalContent.Headers.TryAddWithoutValidation("Content-Range", "2000-2999");
        using (var put = await Client.PutAsync($"{location}?digest={RegistryTestClient.Sha256(data)}", finalContent))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var get = await Client.GetAsync($"/v2/{repo}/blobs/{RegistryTestClient.Sha256(data)}");
        Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ClosingPutWithOutOfOrderFinalChunk_Is416_AndUploadSurvives()
    {
        string repo = AttackSupport.UniqueRepo("attack/chunks");
        var data = RegistryTestClient.RandomBytes(200);
        string location = await Client.StartUploadAsync(repo);
        using (var first = await Client.PatchAsync(location, data[..100], 0))
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var bad = new ByteArrayContent(data[100..]);
        bad.Headers.TryAddWithoutValidation("Content-Range", "150-249");
        using (var put = await Client.PutAsync($"{location}?digest={RegistryTestClient.Sha256(data)}", bad))
            await put.AssertErrorAsync(HttpStatusCode.RequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID");
        await _server.AssertBlobAbsentAsync(repo, RegistryTestClient.Sha256(data));
        Assert.Equal("0-99", await Client.UploadRangeAsync(location));
        using var ok = await Client.CloseUploadAsync(location, RegistryTestClient.Sha256(data), data[100..]);
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
    }

    [Fact]
    public async Task PatchAfterCompletion_IsUploadUnknown()
    {
        string repo = AttackSupport.UniqueRepo("attack/chunks");
        var data = RegistryTestClient.RandomBytes(100);
        string location = await Client.StartUploadAsync(repo);
        using (var put = await Client.CloseUploadAsync(location, RegistryTestClient.Sha256(data), data))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using (var patch = await Client.PatchAsync(location, data, 100))
            await patch.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using (var again = await Client.CloseUploadAsync(location, RegistryTestClient.Sha256(data)))
            await again.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var get = await Client.GetAsync($"/v2/{repo}/blobs/{RegistryTestClient.Sha256(data)}");
        Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
    }
}
