using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Gc;

/// <summary>
/// Several clients push, delete and re-push images (sharing layers) while GC runs again and again with a zero grace
/// period, for a bounded number of rounds. Afterwards every manifest that was acknowledged (201) and not deleted
/// pulls completely and byte-identically, and every blob nothing references is gone.
/// </summary>
public sealed class GcStressTests(ITestOutputHelper output)
{
    private const int Workers = 4;
    private const int ImagesPerWorker = 10;
    private const int MaxGcRounds = 40;

    private sealed record Image(string Repo, string Digest, byte[] Manifest, List<(string Digest, byte[] Data)> Blobs);

    [Fact]
    public async Task ConcurrentPushDeleteRepush_WhileGcRunsRepeatedly_AcknowledgedImagesPull_AndGarbageIsGone()
    {
        int seed = Random.Shared.Next();
        output.WriteLine($"seed {seed}");
        await using var server = await BollardServer.StartAsync(GcApi.Settings(), output: output);
        var c = server.Client;
        var shared = Enumerable.Range(0, 3).Select(_ => RegistryTestClient.RandomBytes(1024)).ToArray();
        var live = new ConcurrentDictionary<string, Image>(); // "repo@digest" -> image, acknowledged and not deleted
        var everPushed = new ConcurrentDictionary<string, bool>();
        int acknowledged = 0, retried = 0, deleted = 0, repushed = 0;

        using var stop = new CancellationTokenSource();
        var gcRounds = 0;
        var gcLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && gcRounds < MaxGcRounds)
            {
                await GcApi.RunAsync(c);
                gcRounds++;
            }
        });

        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var rng = new Random(seed + w);
            string repo = $"stress/w{w}";
            var mine = new List<Image>();
            for (int i = 0; i < ImagesPerWorker; i++)
            {
                var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","w":{{w}},"i":{{i}}}""");
                var blobs = new List<(string, byte[])> { (RegistryTestClient.Sha256(config), config) };
                var unique = RegistryTestClient.RandomBytes(700 + rng.Next(600));
                blobs.Add((RegistryTestClient.Sha256(unique), unique));
                var s = shared[rng.Next(shared.Length)];
                blobs.Add((RegistryTestClient.Sha256(s), s));
                var manifest = GcTests.Manifest(blobs[0].Item1, config.Length, blobs.Skip(1).Select(b => (b.Item1, b.Item2.Length)));
                var image = new Image(repo, RegistryTestClient.Sha256(manifest), manifest, blobs);
                if (await PushAsync(c, image, $"t{i}", () => Interlocked.Increment(ref retried)))
                {
                    live[$"{repo}@{image.Digest}"] = image;
                    Interlocked.Increment(ref acknowledged);
                    mine.Add(image);
                }
                foreach (var b in blobs) everPushed[b.Item1] = true;

                if (mine.Count > 1 && rng.Next(3) == 0)
                {
                    var victim = mine[rng.Next(mine.Count)];
                    using var del = await c.DeleteAsync($"/v2/{repo}/manifests/{victim.Digest}");
                    Assert.True(del.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.NotFound, $"delete: {del.StatusCode}");
                    live.TryRemove($"{repo}@{victim.Digest}", out _);
                    mine.Remove(victim);
                    Interlocked.Increment(ref deleted);
                    if (rng.Next(2) == 0 && await PushAsync(c, victim, $"again{i}", () => Interlocked.Increment(ref retried)))
                    {
                        live[$"{repo}@{victim.Digest}"] = victim;
                        mine.Add(victim);
                        Interlocked.Increment(ref repushed);
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(4));
        await stop.CancelAsync();
        await gcLoop.WaitAsync(TimeSpan.FromMinutes(4));

        // Quiescent now: one more run collects what the last concurrent one could not see yet.
        await GcApi.RunAsync(c);
        output.WriteLine($"{acknowledged} acknowledged, {retried} retried pushes, {deleted} deleted, {repushed} re-pushed, {gcRounds} GC rounds during the pushes");

        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var image in live.Values)
        {
            await GcTests.AssertPullsAsync(c, image.Repo, image.Digest, image.Blobs.Select(b => b.Digest));
            foreach (var (d, _) in image.Blobs) referenced.Add(d);
        }
        foreach (var digest in everPushed.Keys)
            Assert.True(await GcApi.BlobStoredAsync(server, digest) == referenced.Contains(digest),
                $"{digest}: referenced {referenced.Contains(digest)}, stored {!referenced.Contains(digest)}");
        Assert.True(gcRounds > 0);
    }

    /// <summary>Pushes the image's blobs and manifest; a push that GC raced (its link removed in between) is retried from the blobs.</summary>
    private static async Task<bool> PushAsync(HttpClient c, Image image, string tag, Action onRetry)
    {
        for (int attempt = 0; attempt < 10; attempt++)
        {
            if (attempt > 0) onRetry();
            bool blobsOk = true;
            foreach (var (digest, data) in image.Blobs)
            {
                using var content = new ByteArrayContent(data);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
                using var r = await c.PostAsync($"/v2/{image.Repo}/blobs/uploads/?digest={digest}", content);
                if (r.StatusCode != HttpStatusCode.Created) { blobsOk = false; break; }
            }
            if (!blobsOk) continue;
            using var put = await c.PutManifestAsync(image.Repo, tag, image.Manifest, "application/vnd.oci.image.manifest.v1+json");
            if (put.StatusCode == HttpStatusCode.Created) return true;
            Assert.True(put.StatusCode == HttpStatusCode.BadRequest && await put.ErrorCodeAsync() == "MANIFEST_BLOB_UNKNOWN", $"manifest push: {put.StatusCode}");
        }
        return false;
    }
}
