using System.Net;

namespace Bollard.IntegrationTests.Protocol;

/// <summary>
/// Upload sessions that do not trust process memory (issue 6 A3) and the cap on open sessions per principal
/// (B14), over HTTP against the real server.
/// </summary>
public sealed class UploadSessionLimitsTests
{
    private static string UploadFile(BollardServer server, string location) =>
        Path.Combine(server.DataDir, "uploads", location.TrimEnd('/').Split('/')[^1].Split('?')[0]);

    [Fact]
    public async Task BytesAppendedBehindTheCache_AreHashed_NeverAWrongDigestCommitted()
    {
        await using var server = await BollardServer.StartAsync();
        const string repo = "protocol/stale-cache";
        var mine = RegistryTestClient.RandomBytes(300_000);
        var foreign = RegistryTestClient.RandomBytes(100_000);
        var last = RegistryTestClient.RandomBytes(50_000);

        string location = await server.Client.StartUploadAsync(repo);
        using (var p1 = await server.Client.PatchAsync(location, mine, 0))
            Assert.Equal(HttpStatusCode.Accepted, p1.StatusCode);
        // Another node (same shared folder) appends a chunk; this process's cached hash knows nothing of it.
        await using (var file = new FileStream(UploadFile(server, location), FileMode.Append, FileAccess.Write))
            await file.WriteAsync(foreign);

        // The chunk this client thinks is next lands at the wrong offset: refused, not appended after the foreign bytes.
        using (var stale = await server.Client.PatchAsync(location, last, mine.Length))
            await stale.AssertErrorAsync(HttpStatusCode.RequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID");
        Assert.Equal($"0-{mine.Length + foreign.Length - 1}", await server.Client.UploadRangeAsync(location));

        // Closing with the digest of what this client sent (what the stale cache would have hashed) is refused,
        // and nothing is stored under that digest.
        string cachedDigest = RegistryTestClient.Sha256([.. mine, .. last]);
        using (var wrong = await server.Client.CloseUploadAsync(location, cachedDigest, last))
            Assert.NotEqual(HttpStatusCode.Created, wrong.StatusCode);
        using (var get = await server.Client.GetAsync($"/v2/{repo}/blobs/{cachedDigest}"))
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        foreach (var stray in Directory.EnumerateFiles(Path.Combine(server.DataDir, "blobs"), "*", SearchOption.AllDirectories))
            Assert.Equal(Path.GetFileName(stray), RegistryTestClient.Sha256(await File.ReadAllBytesAsync(stray))["sha256:".Length..]);
    }

    [Fact]
    public async Task BytesAppendedBehindTheCache_CommitOfTheStoredContent_IsCorrect()
    {
        await using var server = await BollardServer.StartAsync();
        const string repo = "protocol/stale-cache";
        var mine = RegistryTestClient.RandomBytes(200_000);
        var foreign = RegistryTestClient.RandomBytes(70_000);

        string location = await server.Client.StartUploadAsync(repo);
        using (var p1 = await server.Client.PatchAsync(location, mine, 0))
            Assert.Equal(HttpStatusCode.Accepted, p1.StatusCode);
        await using (var file = new FileStream(UploadFile(server, location), FileMode.Append, FileAccess.Write))
            await file.WriteAsync(foreign);

        byte[] stored = [.. mine, .. foreign];
        string digest = RegistryTestClient.Sha256(stored);
        using (var put = await server.Client.CloseUploadAsync(location, digest))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var get = await server.Client.GetAsync($"/v2/{repo}/blobs/{digest}");
        Assert.Equal(stored, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task OpenSessionsPerPrincipal_AreCapped_429_UntilOneCloses()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?> { ["Registry:MaxOpenUploadsPerPrincipal"] = "3" });
        const string repo = "protocol/upload-cap";
        var open = new List<string>();
        for (int i = 0; i < 3; i++) open.Add(await server.Client.StartUploadAsync(repo));

        using (var over = await server.Client.PostAsync($"/v2/{repo}/blobs/uploads/", null))
        {
            await over.AssertErrorAsync(HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
            Assert.Contains("MaxOpenUploadsPerPrincipal", await over.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(3, Directory.EnumerateFiles(Path.Combine(server.DataDir, "uploads")).Count());

        // A single-request upload opens no session, so it is not refused.
        var data = RegistryTestClient.RandomBytes(1000);
        using (var mono = await server.Client.PostAsync($"/v2/{repo}/blobs/uploads/?digest={RegistryTestClient.Sha256(data)}", new ByteArrayContent(data)))
            Assert.Equal(HttpStatusCode.Created, mono.StatusCode);

        // Finishing one session (here: cancelling it) makes room again.
        using (var cancel = await server.Client.DeleteAsync(open[0]))
            Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        await server.Client.StartUploadAsync(repo);
    }

    [Fact]
    public async Task OpenSessionsCap_IsPerPrincipal_WithAccessControl()
    {
        await using var access = await AccessServer.StartAsync(new Dictionary<string, string?> { ["Registry:MaxOpenUploadsPerPrincipal"] = "2" });
        string ns = AccessServer.Unique("capped");
        var alice = access.Registry(await access.CreateUserWithRoleAsync(AccessServer.Unique("alice"), "developer", $"{ns}/**"));
        var bob = access.Registry(await access.CreateUserWithRoleAsync(AccessServer.Unique("bob"), "developer", $"{ns}/**"));
        string repo = $"{ns}/app";

        await alice.StartUploadAsync(repo);
        await alice.StartUploadAsync(repo);
        using (var over = await alice.PostAsync($"/v2/{repo}/blobs/uploads/", null))
            await over.AssertErrorAsync(HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
        // Alice being at her cap does not stop Bob.
        await bob.StartUploadAsync(repo);
        await bob.StartUploadAsync(repo);
    }
}
