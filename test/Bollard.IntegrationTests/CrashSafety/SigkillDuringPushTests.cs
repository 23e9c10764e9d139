using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.CrashSafety;

/// <summary>
/// Product requirement: "killing the process (SIGKILL) at any moment during pushes must never leave a manifest
/// that points at a missing blob, a blob whose bytes do not match its digest, or a corrupt database;
/// already-acknowledged data must survive". The real executable is killed in the middle of concurrent pushes,
/// restarted on the same data folder, checked, and pushed to again, several times over.
/// </summary>
public sealed class SigkillDuringPushTests(ITestOutputHelper output)
{
    // This test is about storage durability, not access control (which has its own tests).
    private static readonly Dictionary<string, string> StorageOnly = new() { ["BOLLARD__AUTH__ENABLED"] = "false" };

    private const int Rounds = 5;
    private const int Workers = 6;

    [Fact]
    public async Task SigkillDuringConcurrentPushes_AcknowledgedDataSurvives_NothingDangles()
    {
        int seed = Environment.GetEnvironmentVariable("BOLLARD_CRASH_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (set BOLLARD_CRASH_SEED to replay the same schedule of kills)");
        var rng = new Random(seed);
        string dataDir = TempDir.Create("bollard-crash-");
        var ledger = new PushLedger(Workers);
        var total = Stopwatch.StartNew();
        try
        {
            for (int round = 1; round <= Rounds; round++)
            {
                await using var server = await BollardProcess.StartAsync(dataDir, StorageOnly);
                var roundClock = Stopwatch.StartNew();

                // After the previous kill: verify before anything new is pushed, then finish the cut uploads.
                if (round > 1)
                {
                    await AssertConsistentAsync(server, dataDir, ledger, $"after kill {round - 1}");
                    await CrashVerifier.ResumePendingUploadsAsync(server, ledger);
                }
                var verified = roundClock.Elapsed;

                using var stop = new CancellationTokenSource();
                var pushers = Enumerable.Range(0, Workers)
                    .Select(w => Task.Run(() => new CrashPusher(w, round, server.Client, ledger, new Random(rng.Next())).RunAsync(stop.Token)))
                    .ToArray();
                // A random moment: one kill in four lands in the first requests of the fresh process, the rest in steady state.
                await Task.Delay(TimeSpan.FromMilliseconds(rng.Next(4) == 0 ? rng.Next(30, 400) : rng.Next(1500, 5000)));
                server.Kill();
                stop.Cancel();
                await Task.WhenAll(pushers).WaitAsync(TimeSpan.FromSeconds(60));
                AssertNoErrors(ledger, server, $"round {round}");
                output.WriteLine($"round {round}: pid {server.Pid} verified in {verified.TotalSeconds:0.0}s, pushed for {(roundClock.Elapsed - verified).TotalSeconds:0.0}s, then SIGKILL; " +
                                 $"ledger: {ledger.Blobs.Count} blobs, {ledger.Manifests.Count} manifests, {ledger.Tags.Count} tags");
            }

            // Last restart: everything is still there, and the server takes new pushes.
            await using (var server = await BollardProcess.StartAsync(dataDir, StorageOnly))
            {
                await AssertConsistentAsync(server, dataDir, ledger, $"after kill {Rounds}");
                await CrashVerifier.ResumePendingUploadsAsync(server, ledger);
                AssertNoErrors(ledger, server, "resuming uploads after the last kill");
                var (manifest, digest) = await server.Client.PushImageAsync("crash/after", "final", layers: 3, layerSize: 256 * 1024);
                using var response = await server.Client.GetAsync($"/v2/crash/after/manifests/final");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(manifest, await response.Content.ReadAsByteArrayAsync());
                Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
                await AssertConsistentAsync(server, dataDir, ledger, "after the final push");
            }
            output.WriteLine($"{ledger.BlobPushes} blob pushes, {ledger.Mounts} mounts, {ledger.ManifestPushes} manifest pushes, " +
                             $"{ledger.Resumed} uploads resumed across a kill; {total.Elapsed.TotalSeconds:0.0}s");
            Assert.True(ledger.ManifestPushes > 20, $"only {ledger.ManifestPushes} manifest pushes were acknowledged: the test pushed too little to mean much");
        }
        finally
        {
            TempDir.Delete(dataDir);
        }
    }

    private static async Task AssertConsistentAsync(BollardProcess server, string dataDir, PushLedger ledger, string when)
    {
        var problems = await CrashVerifier.VerifyAsync(server, dataDir, ledger);
        if (problems.Count > 0)
            Assert.Fail($"{when}: {problems.Count} problems\n" + string.Join('\n', problems.Take(60)) +
                        "\n--- server output (tail) ---\n" + Tail(server.RecentOutput(), 40));
    }

    private static void AssertNoErrors(PushLedger ledger, BollardProcess server, string when)
    {
        if (ledger.Errors.IsEmpty) return;
        Assert.Fail($"{when}: the live server answered pushes unexpectedly\n" + string.Join('\n', ledger.Errors.Take(40)) +
                    "\n--- server output (tail) ---\n" + Tail(server.RecentOutput(), 40));
    }

    private static string Tail(string text, int lines) => string.Join('\n', text.Split('\n').TakeLast(lines));
}
