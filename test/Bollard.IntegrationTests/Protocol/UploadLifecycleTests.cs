using System.Net;

namespace Bollard.IntegrationTests.Protocol;

/// <summary>Upload sessions across a server restart, and the expiry of abandoned ones.</summary>
public sealed class UploadLifecycleTests
{
    [Fact]
    public async Task ChunkedUpload_SurvivesRestart_AndCompletesWithCorrectDigest()
    {
        await using var server = await BollardServer.StartAsync();
        string repo = "protocol/restart";
        var data = RegistryTestClient.RandomBytes(1_500_000);
        string digest = RegistryTestClient.Sha256(data);

        string location = await server.Client.StartUploadAsync(repo);
        using (var p1 = await server.Client.PatchAsync(location, data[..600_000], 0))
            Assert.Equal(HttpStatusCode.Accepted, p1.StatusCode);
        // A second session that is only opened before the restart, and one with sha512 in mind.
        string empty = await server.Client.StartUploadAsync(repo);
        string other = await server.Client.StartUploadAsync(repo);
        using (var p2 = await server.Client.PatchAsync(other, data[..1000], 0))
            Assert.Equal(HttpStatusCode.Accepted, p2.StatusCode);

        await server.RestartAsync();

        Assert.Equal("0-599999", await server.Client.UploadRangeAsync(location));
        Assert.Equal("0-0", await server.Client.UploadRangeAsync(empty));
        // Out-of-order after restart is still 416 (the offset came from the file).
        using (var bad = await server.Client.PatchAsync(location, data[700_000..], 700_000))
            await bad.AssertErrorAsync(HttpStatusCode.RequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID");
        using (var p3 = await server.Client.PatchAsync(location, data[600_000..1_000_000], 600_000))
            Assert.Equal(HttpStatusCode.Accepted, p3.StatusCode);
        using (var put = await server.Client.CloseUploadAsync(location, digest, data[1_000_000..]))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal(digest, put.Headers.GetValues("Docker-Content-Digest").Single());
        }
        using (var get = await server.Client.GetAsync($"/v2/{repo}/blobs/{digest}"))
            Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());

        // The other session closes with sha512 over what it received before the restart.
        using (var put512 = await server.Client.CloseUploadAsync(other, AttackSupport.Sha512(data[..1000])))
            Assert.Equal(HttpStatusCode.Created, put512.StatusCode);

        // A restarted session closed with the wrong digest is refused and nothing is stored.
        using (var p4 = await server.Client.PatchAsync(empty, [1, 2, 3], 0))
            Assert.Equal(HttpStatusCode.Accepted, p4.StatusCode);
        await server.RestartAsync();
        using (var wrong = await server.Client.CloseUploadAsync(empty, RegistryTestClient.Sha256([1, 2, 4])))
            await wrong.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        Assert.False(File.Exists(server.BlobFile(RegistryTestClient.Sha256([1, 2, 3]))));
        Assert.Empty(server.UploadFiles());
    }

    [Fact]
    public async Task AbandonedUpload_Expires_IdUnknown_TempFileGone()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?>
        {
            ["Registry:UploadExpiry"] = "00:00:01",
            ["Registry:UploadSweepInterval"] = "00:00:01",
        });
        string repo = "protocol/expiry";
        string location = await server.Client.StartUploadAsync(repo);
        string id = location.Split('/')[^1];
        using (var patch = await server.Client.PatchAsync(location, [1, 2, 3], 0))
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        Assert.Contains(id, server.UploadFiles());

        // A stray temp file without a session (e.g. left by a crash) goes too.
        string stray = Path.Combine(server.DataDir, "uploads", "ffffffffffffffffffffffffffffffff");
        await File.WriteAllBytesAsync(stray, [9]);
        File.SetLastWriteTimeUtc(stray, DateTime.UtcNow.AddMinutes(-5));

        Assert.True(await AttackSupport.EventuallyAsync(() => !server.UploadFiles().Contains(id) && !File.Exists(stray), 6000),
            "expired upload data is still there");
        using (var get = await server.Client.GetAsync(location))
            await get.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using (var put = await server.Client.CloseUploadAsync(location, RegistryTestClient.Sha256([1, 2, 3])))
            await put.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        Assert.False(File.Exists(server.BlobFile(RegistryTestClient.Sha256([1, 2, 3]))));
    }

    [Fact]
    public async Task ActiveUpload_IsNotExpired_WhileItKeepsReceivingChunks()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?>
        {
            ["Registry:UploadExpiry"] = "00:00:02",
            ["Registry:UploadSweepInterval"] = "00:00:01",
        });
        string repo = "protocol/expiry";
        var data = RegistryTestClient.RandomBytes(5 * 100);
        string location = await server.Client.StartUploadAsync(repo);
        for (int i = 0; i < 5; i++)
        {
            using var patch = await server.Client.PatchAsync(location, data[(i * 100)..((i + 1) * 100)], i * 100);
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            await Task.Delay(700);
        }
        using var put = await server.Client.CloseUploadAsync(location, RegistryTestClient.Sha256(data));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }
}
