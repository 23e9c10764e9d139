using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Gc;

/// <summary>
/// The real executable is SIGKILLed at a random moment of a GC run, several times; after each restart no manifest
/// points at a missing blob, and the killed run is picked up by its job lease and finishes.
/// </summary>
public sealed class GcCrashTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> Environment = new()
    {
        ["BOLLARD__AUTH__ENABLED"] = "false",
        ["BOLLARD__GC__GRACEPERIOD"] = "0",
        ["BOLLARD__GC__INTERVAL"] = "0",
        ["BOLLARD__GC__BATCHSIZE"] = "5",
        ["BOLLARD__JOBS__LEASEDURATION"] = "2s",
        ["BOLLARD__JOBS__POLLINTERVAL"] = "50ms",
        ["BOLLARD__JOBS__RETRYBASE"] = "50ms",
    };

    private const int Rounds = 3;

    [Fact]
    public async Task SigkillDuringGc_LeavesNoManifestWithAMissingBlob_AndTheNextRunFinishes()
    {
        int seed = Random.Shared.Next();
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        string dataDir = TempDir.Create("bollard-gc-crash-");
        var kept = new List<(string Repo, string Digest, List<string> Blobs)>();
        try
        {
            for (int round = 1; round <= Rounds; round++)
            {
                long killedRun;
                await using (var server = await BollardProcess.StartAsync(dataDir, Environment))
                {
                    var c = server.Client;
                    // Garbage to collect: images pushed and deleted again, next to images that stay.
                    for (int i = 0; i < 12; i++)
                    {
                        string repo = $"crash/r{i % 3}";
                        var (_, digest, blobs) = await GcTests.PushAsync(c, repo, $"round{round}-{i}", null);
                        if (i % 2 == 0)
                        {
                            using var del = await c.DeleteAsync($"/v2/{repo}/manifests/{digest}");
                            Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);
                        }
                        else kept.Add((repo, digest, blobs));
                    }
                    var started = await GcApi.StartAsync(c);
                    killedRun = started.GetProperty("id").GetInt64();
                    await Task.Delay(rng.Next(0, 400));
                    server.Kill();
                }

                await using (var server = await BollardProcess.StartAsync(dataDir, Environment))
                {
                    var c = server.Client;
                    foreach (var (repo, digest, blobs) in kept) await GcTests.AssertPullsAsync(c, repo, digest, blobs);
                    // The killed run is taken up again once its lease expired (or it had finished), and ends.
                    var run = await GcApi.WaitAsync(c, killedRun);
                    Assert.True(run.GetProperty("state").GetString() == "Succeeded", run.ToString());
                    output.WriteLine($"round {round}: run {killedRun} ended after {run.GetProperty("attempts").GetInt32()} attempt(s), removed {run.GetProperty("totals")}");
                    foreach (var (repo, digest, blobs) in kept) await GcTests.AssertPullsAsync(c, repo, digest, blobs);
                }
            }

            // Finally nothing unreferenced is left on disk: only the kept images' blobs remain in the blob folder.
            await using (var server = await BollardProcess.StartAsync(dataDir, Environment))
            {
                await GcApi.RunAsync(server.Client);
                var expected = kept.SelectMany(k => k.Blobs).Select(d => d["sha256:".Length..]).ToHashSet(StringComparer.Ordinal);
                var onDisk = Directory.EnumerateFiles(Path.Combine(dataDir, "blobs", "sha256"), "*", SearchOption.AllDirectories)
                    .Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
                Assert.Equal(expected.Order(StringComparer.Ordinal), onDisk.Order(StringComparer.Ordinal)!);
            }
        }
        finally
        {
            TempDir.Delete(dataDir);
        }
    }
}
