using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Bollard.IntegrationTests.Protocol;

/// <summary>Many clients at once: same blob, different blobs, and one upload session hammered in parallel.</summary>
public sealed class ConcurrencyTests(SharedServerFixture fixture) : IClassFixture<SharedServerFixture>
{
    private const int Clients = 16;
    private readonly BollardServer _server = fixture.Server;

    /// <summary>Separate clients (separate connection pools), so requests really run in parallel.</summary>
    private HttpClient NewClient() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = _server.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };

    [Fact]
    public async Task SixteenClientsPushingTheSameBlob_AllSucceed_OneFileOnDisk()
    {
        var data = RegistryTestClient.RandomBytes(2 * 1024 * 1024);
        string digest = RegistryTestClient.Sha256(data);
        var uploadsBefore = _server.UploadFiles();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, Clients).Select(i => Task.Run(async () =>
        {
            using var client = NewClient();
            string repo = i % 2 == 0 ? "protocol/concurrency/same" : $"protocol/concurrency/same{i}";
            var content = new ByteArrayContent(data);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            await start.Task;
            HttpResponseMessage response;
            if (i % 3 == 0)
            {
                // Some push chunked, to race commits of uploads against monolithic ones.
                string location = await client.StartUploadAsync(repo);
                using (var patch = await client.PatchAsync(location, data[..1_000_000], 0))
                    Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
                response = await client.CloseUploadAsync(location, digest, data[1_000_000..]);
            }
            else
            {
                response = await client.PostAsync($"/v2/{repo}/blobs/uploads/?digest={digest}", content);
            }
            using (response)
                return (repo, response.StatusCode);
        })).ToList();
        start.SetResult();
        var results = await Task.WhenAll(tasks);

        Assert.All(results, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        string file = _server.BlobFile(digest);
        Assert.True(File.Exists(file));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(file)!), f => Path.GetFileName(f) == Path.GetFileName(file));
        Assert.Equal(digest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file))));
        foreach (var repo in results.Select(r => r.repo).Distinct())
        {
            using var get = await _server.Client.GetAsync($"/v2/{repo}/blobs/{digest}");
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(data.Length, get.Content.Headers.ContentLength);
        }
        await _server.AssertNoNewUploadFilesAsync(uploadsBefore);
    }

    [Fact]
    public async Task SixteenClientsPushingDifferentBlobsChunked_AllCorrect()
    {
        var blobs = Enumerable.Range(0, Clients).Select(_ => RegistryTestClient.RandomBytes(700_000)).ToList();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = blobs.Select((data, i) => Task.Run(async () =>
        {
            using var client = NewClient();
            string repo = $"protocol/concurrency/diff{i % 4}";
            await start.Task;
            string location = await client.StartUploadAsync(repo);
            const int chunk = 256 * 1024;
            for (int offset = 0; offset < data.Length; offset += chunk)
            {
                int end = Math.Min(offset + chunk, data.Length);
                using var patch = await client.PatchAsync(location, data[offset..end], offset);
                Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
                Assert.Equal($"0-{end - 1}", patch.UploadRange());
            }
            string digest = RegistryTestClient.Sha256(data);
            using var put = await client.CloseUploadAsync(location, digest);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            return (repo, digest);
        })).ToList();
        start.SetResult();
        var results = await Task.WhenAll(tasks);

        for (int i = 0; i < Clients; i++)
        {
            var (repo, digest) = results[i];
            using var get = await _server.Client.GetAsync($"/v2/{repo}/blobs/{digest}");
            Assert.Equal(blobs[i], await get.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task ConcurrentPatchesToOneSession_AreSerialized_NeverInterleaved()
    {
        // Every chunk has the same bytes, so any order gives the same blob; an interleaving of two chunks' writes
        // would not. Chunks are larger than the server's copy buffer so a write is several reads long.
        var chunk = RegistryTestClient.RandomBytes(600_000);
        var expected = Enumerable.Repeat(chunk, Clients).SelectMany(c => c).ToArray();
        string repo = AttackSupport.UniqueRepo("protocol/concurrency");
        string location = await _server.Client.StartUploadAsync(repo);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            using var client = NewClient();
            await start.Task;
            using var patch = await client.PatchAsync(location, chunk);
            return patch.StatusCode;
        })).ToList();
        start.SetResult();
        var statuses = await Task.WhenAll(pending);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Accepted, s));
        Assert.Equal($"0-{expected.Length - 1}", await _server.Client.UploadRangeAsync(location));
        using var put = await _server.Client.CloseUploadAsync(location, RegistryTestClient.Sha256(expected));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    public async Task ConcurrentPatchesClaimingTheSameOffset_ExactlyOneWins_OthersGet416()
    {
        string repo = AttackSupport.UniqueRepo("protocol/concurrency");
        string location = await _server.Client.StartUploadAsync(repo);
        var chunks = Enumerable.Range(0, Clients).Select(_ => RegistryTestClient.RandomBytes(300_000)).ToList();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = chunks.Select(c => Task.Run(async () =>
        {
            using var client = NewClient();
            await start.Task;
            using var patch = await client.PatchAsync(location, c, 0);
            return patch.StatusCode;
        })).ToList();
        start.SetResult();
        var statuses = await Task.WhenAll(pending);
        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.Accepted));
        Assert.Equal(Clients - 1, statuses.Count(s => s == HttpStatusCode.RequestedRangeNotSatisfiable));
        Assert.Equal("0-299999", await _server.Client.UploadRangeAsync(location));
        var winner = chunks[Array.IndexOf(statuses, HttpStatusCode.Accepted)];
        using var put = await _server.Client.CloseUploadAsync(location, RegistryTestClient.Sha256(winner));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    public async Task ConcurrentClosingPuts_OfOneSession_OneWins_NoCorruption()
    {
        string repo = AttackSupport.UniqueRepo("protocol/concurrency");
        var data = RegistryTestClient.RandomBytes(500_000);
        string digest = RegistryTestClient.Sha256(data);
        string location = await _server.Client.StartUploadAsync(repo);
        using (var patch = await _server.Client.PatchAsync(location, data, 0))
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            using var client = NewClient();
            await start.Task;
            using var put = await client.CloseUploadAsync(location, digest);
            return put.StatusCode;
        })).ToList();
        start.SetResult();
        var statuses = await Task.WhenAll(pending);
        Assert.Contains(HttpStatusCode.Created, statuses);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Created or HttpStatusCode.NotFound, $"got {s}"));
        using var get = await _server.Client.GetAsync($"/v2/{repo}/blobs/{digest}");
        Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ConcurrentManifestPushesToOneTag_LastOneWins_AllConsistent()
    {
        string repo = AttackSupport.UniqueRepo("protocol/concurrency");
        var bodies = new List<byte[]>();
        for (int i = 0; i < 8; i++) bodies.Add(await _server.Client.MinimalManifestAsync(repo));
        var statuses = await Task.WhenAll(bodies.Select(b => Task.Run(async () =>
        {
            using var client = NewClient();
            using var put = await client.PutManifestAsync(repo, "latest", b, "application/vnd.oci.image.manifest.v1+json");
            return put.StatusCode;
        })));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Created, s));
        using var get = await _server.Client.GetAsync($"/v2/{repo}/manifests/latest");
        var served = await get.Content.ReadAsByteArrayAsync();
        Assert.Contains(bodies, b => b.AsSpan().SequenceEqual(served));
        foreach (var b in bodies)
        {
            using var byDigest = await _server.Client.GetAsync($"/v2/{repo}/manifests/{RegistryTestClient.Sha256(b)}");
            Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
        }
    }
}
