using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Gc;

/// <summary>Online GC against the real server over loopback: what it frees, what it keeps, dry run == real run.</summary>
public sealed class GcTests(ITestOutputHelper output)
{
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";

    [Fact]
    public async Task Gc_WithZeroGrace_FreesExactlyTheUnreferencedBlobs_AndASharedLayerSurvives()
    {
        await using var server = await BollardServer.StartAsync(GcApi.Settings(), output: output);
        var c = server.Client;
        var shared = RegistryTestClient.RandomBytes(2048);
        var (_, keptDigest, keptBlobs) = await PushAsync(c, "team/keep", "v1", shared);
        var (_, goneDigest, goneBlobs) = await PushAsync(c, "team/gone", "v1", shared);
        using (var del = await c.DeleteAsync($"/v2/team/gone/manifests/{goneDigest}")) Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);

        var dry = await GcApi.RunAsync(c, dryRun: true);
        var run = await GcApi.RunAsync(c);

        string sharedDigest = RegistryTestClient.Sha256(shared);
        var uniqueGone = goneBlobs.Where(b => b != sharedDigest).ToList();
        var expected = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var b in goneBlobs) expected.Add($"link team/gone {b}");
        foreach (var b in uniqueGone) expected.Add($"blob - {b}");
        Assert.Equal(expected, GcApi.Removed(run));
        Assert.Equal(GcApi.Removed(run), GcApi.Removed(dry));
        Assert.True(dry.GetProperty("dryRun").GetBoolean());
        foreach (var b in uniqueGone) Assert.False(await GcApi.BlobStoredAsync(server, b));
        foreach (var b in keptBlobs) Assert.True(await GcApi.BlobStoredAsync(server, b));
        Assert.Equal(uniqueGone.Count, run.GetProperty("totals").GetProperty("blobs").GetInt64());
        Assert.True(run.GetProperty("totals").GetProperty("bytesFreed").GetInt64() > 0);

        // The kept image still pulls completely.
        await AssertPullsAsync(c, "team/keep", keptDigest, keptBlobs);
        // A second run finds nothing.
        Assert.Empty(GcApi.Removed(await GcApi.RunAsync(c)));
    }

    [Fact]
    public async Task ABlobPushedJustBeforeItsManifest_SurvivesWithinTheGrace()
    {
        await using var server = await BollardServer.StartAsync(GcApi.Settings(grace: "1h"), output: output);
        var c = server.Client;
        var layer = RegistryTestClient.RandomBytes(1000);
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux"}""");
        string layerDigest = await c.PushBlobAsync("team/app", layer);
        string configDigest = await c.PushBlobAsync("team/app", config);

        var run = await GcApi.RunAsync(c);
        Assert.Empty(GcApi.Removed(run));
        Assert.True(await GcApi.BlobStoredAsync(server, layerDigest));

        var body = Manifest(configDigest, config.Length, [(layerDigest, layer.Length)]);
        using var put = await c.PutManifestAsync("team/app", "v1", body, ManifestType);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    public async Task UntaggedManifests_AreKeptByDefault_AndAnOrphanReferrerGoesWithItsSubject()
    {
        await using var server = await BollardServer.StartAsync(GcApi.Settings(), output: output);
        var c = server.Client;
        var (_, subject, _) = await PushAsync(c, "team/app", "v1", null);
        var (_, untagged, _) = await PushAsync(c, "team/app", "v2", null);
        using (var del = await c.DeleteAsync("/v2/team/app/manifests/v2")) Assert.Equal(HttpStatusCode.Accepted, del.StatusCode); // tag only
        var (_, referrer) = await c.PushImageAsync("team/app", "sig", layers: 1, subject: subject, artifactType: "application/vnd.example.sig");
        using (var untag = await c.DeleteAsync("/v2/team/app/manifests/sig")) Assert.Equal(HttpStatusCode.Accepted, untag.StatusCode);
        using (var del = await c.DeleteAsync($"/v2/team/app/manifests/{subject}")) Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);

        var dry = await GcApi.RunAsync(c, dryRun: true);
        var run = await GcApi.RunAsync(c);
        var removed = GcApi.Removed(run);
        Assert.Equal(removed, GcApi.Removed(dry));
        Assert.Contains($"manifest team/app {referrer}", removed);
        Assert.DoesNotContain($"manifest team/app {untagged}", removed); // KeepUntaggedManifests
        using var get = await c.GetAsync($"/v2/team/app/manifests/{untagged}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        using var gone = await c.GetAsync($"/v2/team/app/manifests/{referrer}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Api_ListsRuns_RefusesBadInput_AndAnEndedRunCannotBeCancelled()
    {
        await using var server = await BollardServer.StartAsync(GcApi.Settings(), output: output);
        var c = server.Client;
        var run = await GcApi.RunAsync(c);
        long id = run.GetProperty("id").GetInt64();
        using var list = await c.GetAsync("/api/v1/gc");
        var listed = System.Text.Json.JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(id, listed.GetProperty("runs")[0].GetProperty("id").GetInt64());
        Assert.Equal("finished", listed.GetProperty("runs")[0].GetProperty("phase").GetString());
        using var bad = await c.PostAsync("/api/v1/gc?dryRun=maybe", null);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var missing = await c.GetAsync("/api/v1/gc/999999");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var cancel = await c.DeleteAsync($"/api/v1/gc/{id}");
        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
    }

    [Fact]
    public async Task ARealRun_IsAudited_AndEndsWithARegistryWideGcFinishedEvent_ADryRunAppendsNone()
    {
        await using var server = await BollardServer.StartAsync(GcApi.Settings(), output: output);
        var c = server.Client;
        var (_, digest, _) = await PushAsync(c, "team/gone", "v1", null);
        using (var del = await c.DeleteAsync($"/v2/team/gone/manifests/{digest}")) Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);
        var dry = await GcApi.RunAsync(c, dryRun: true);
        var run = await GcApi.RunAsync(c);
        long freed = run.GetProperty("totals").GetProperty("bytesFreed").GetInt64();
        Assert.True(freed > 0);

        var events = await server.Services.GetRequiredService<Bollard.Core.Events.IEventStore>().ReadAsync(0, 10_000, default);
        var finished = Assert.Single(events, e => e.Kind == Bollard.Core.Events.RegistryEventKind.GcFinished);
        Assert.Equal(((Bollard.Core.Oci.RepositoryName?)null, (long?)freed), (finished.Repository, finished.Size));
        Assert.Contains(events, e => e.Kind == Bollard.Core.Events.RegistryEventKind.BlobDeleted && e.Principal == "system:gc");

        using var audit = await c.GetAsync("/api/v1/audit?action=gc.finish&limit=10");
        string text = await audit.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, audit.StatusCode);
        Assert.Contains($"run {run.GetProperty("id").GetInt64()}:", text, StringComparison.Ordinal);
        Assert.Contains($"run {dry.GetProperty("id").GetInt64()} (dry run)", text, StringComparison.Ordinal);
        using var starts = await c.GetAsync("/api/v1/audit?action=gc.start&limit=10");
        Assert.Equal(2, System.Text.Json.JsonDocument.Parse(await starts.Content.ReadAsStringAsync()).RootElement.GetProperty("events").GetArrayLength());
    }

    internal static async Task<(byte[] Manifest, string Digest, List<string> Blobs)> PushAsync(HttpClient c, string repo, string tag, byte[]? shared)
    {
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","n":"{{Guid.NewGuid()}}"}""");
        var layer = RegistryTestClient.RandomBytes(1500);
        string configDigest = await c.PushBlobAsync(repo, config);
        var layers = new List<(string, int)> { (await c.PushBlobAsync(repo, layer), layer.Length) };
        if (shared is not null) layers.Add((await c.PushBlobAsync(repo, shared), shared.Length));
        var body = Manifest(configDigest, config.Length, layers);
        using var put = await c.PutManifestAsync(repo, tag, body, ManifestType);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return (body, RegistryTestClient.Sha256(body), [configDigest, .. layers.Select(l => l.Item1)]);
    }

    internal static byte[] Manifest(string configDigest, int configSize, IEnumerable<(string Digest, int Size)> layers)
    {
        var array = new JsonArray();
        foreach (var (d, s) in layers) array.Add(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip", ["digest"] = d, ["size"] = s });
        return Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = ManifestType,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = configSize },
            ["layers"] = array,
        }.ToJsonString());
    }

    internal static async Task AssertPullsAsync(HttpClient c, string repo, string digest, IEnumerable<string> blobs)
    {
        using var get = await c.GetAsync($"/v2/{repo}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(digest, RegistryTestClient.Sha256(await get.Content.ReadAsByteArrayAsync()));
        foreach (var b in blobs)
        {
            using var blob = await c.GetAsync($"/v2/{repo}/blobs/{b}");
            Assert.True(blob.StatusCode == HttpStatusCode.OK, $"{repo}@{b}: {blob.StatusCode}");
            Assert.Equal(b, RegistryTestClient.Sha256(await blob.Content.ReadAsByteArrayAsync()));
        }
    }
}
