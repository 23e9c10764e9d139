using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bollard.Core.Events;
using Bollard.Core.Jobs;
using Bollard.Scanning.Advisories;
using Bollard.Scanning.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Scanning;

/// <summary>
/// The scan pipeline end to end on the real server: skopeo pushes real images (a Debian bookworm dpkg database, real
/// npm lock files made by <c>npm install</c>), the scan jobs run, the SBOM referrers appear in the referrers API, real
/// OSV advisories are imported, and a newer import that changes one advisory's fixed version and adds another changes
/// exactly the affected images' findings, with <c>FindingsChanged</c> events and no layer read again. Exceptions hide
/// findings until they expire on the server's (manual) clock; the packages query answers which images hold a package.
/// </summary>
public sealed class ScanPipelineTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _work = TempDir.Create("bollard-scan-pipeline-");
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);
    private BollardServer _server = null!;

    public async Task InitializeAsync()
    {
        ExternalTool.Require("npm");
        _server = await BollardServer.StartAsync(new Dictionary<string, string?> { ["Jobs:PollInterval"] = "00:00:00.100", ["Scanning:Enabled"] = "true" }, output: output, time: _clock);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        TempDir.Delete(_work);
    }

    private static async Task<string> NpmLockAsync(string package)
    {
        string dir = Directory.CreateTempSubdirectory("bollard-npm-").FullName;
        try
        {
            await ExternalTool.RunCheckedAsync("npm", ["init", "-y"], workingDirectory: dir);
            await ExternalTool.RunCheckedAsync("npm", ["install", "--no-audit", "--no-fund", "--package-lock-only", package], workingDirectory: dir, timeout: TimeSpan.FromMinutes(3));
            return await File.ReadAllTextAsync(Path.Combine(dir, "package-lock.json"));
        }
        finally
        {
            TempDir.Delete(dir);
        }
    }

    /// <summary>A copy of some real OSV npm records (by file name) as one import folder; <paramref name="edit"/> may change a record (a newer snapshot).</summary>
    private string OsvFolder(string name, IEnumerable<string> files, Func<string, JsonNode, JsonNode>? edit = null)
    {
        string dir = Path.Combine(_work, name, "npm");
        Directory.CreateDirectory(dir);
        foreach (string file in files)
        {
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(ScanImages.VulnData, "osv", "npm", file)))!;
            if (edit is not null) json = edit(file, json);
            File.WriteAllText(Path.Combine(dir, file), json.ToJsonString());
        }
        return dir;
    }

    private async Task<JsonNode> FindingsAsync(string repo, string digest, string query = "")
    {
        using var response = await _server.Client.GetAsync($"/api/v1/repositories/{repo}/manifests/{digest}/findings{query}");
        return await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "findings");
    }

    private static HashSet<string> Ids(JsonNode findings) =>
        findings["findings"]!.AsArray().Select(f => f!["advisoryId"]!.GetValue<string>()).ToHashSet();

    private async Task<JobRecord> WaitForRematchAsync(int succeeded)
    {
        var jobs = _server.Services.GetRequiredService<IJobStore>();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            var list = await jobs.ListAsync(ScanJobs.RematchKind, 10, default);
            if (list.Count(j => j.State == JobState.Succeeded) >= succeeded && list.All(j => j.State is JobState.Succeeded or JobState.Failed)) return list[0];
            Assert.DoesNotContain(list, j => j.State == JobState.Failed);
            await Task.Delay(100);
        }
        throw new TimeoutException("the rematch job did not finish");
    }

    [Fact]
    public async Task PushScanImportRematch_ChangesExactlyTheAffectedImages_WithoutReadingLayers()
    {
        string lodashLock = await NpmLockAsync("lodash@4.17.15");
        string minimistLock = await NpmLockAsync("minimist@1.2.0");
        string debian = await ScanImages.PushDebianAsync(_work, _server.HostPort, "scan/debian", "1", null);
        string lodash = await ScanImages.PushDebianAsync(_work, _server.HostPort, "scan/lodash", "1", null, null, ("/app/package-lock.json", lodashLock));
        string minimist = await ScanImages.PushDebianAsync(_work, _server.HostPort, "scan/minimist", "1", null, null, ("/app/package-lock.json", minimistLock));
        string gone = await ScanImages.PushDebianAsync(_work, _server.HostPort, "scan/gone", "1", null);
        var images = new[] { ("scan/debian", debian), ("scan/lodash", lodash), ("scan/minimist", minimist), ("scan/gone", gone) };
        foreach (var (repo, digest) in images)
        {
            var state = await ScanImages.WaitForStateAsync(_server.Client, repo, digest, s => s is "done" or "failed" or "skipped");
            Assert.True(state["state"]!.GetValue<string>() == "done", state.ToJsonString());
            Assert.True(state["packages"]!.GetValue<int>() > 50, $"the bookworm dpkg database alone has 88 packages: {state.ToJsonString()}");
        }

        // The SBOMs are OCI referrers of the image, listed by the distribution API.
        using (var referrers = await _server.Client.GetAsync($"/v2/scan/lodash/referrers/{lodash}"))
        {
            var index = await AccessServer.ExpectAsync(referrers, HttpStatusCode.OK, "referrers");
            var types = index["manifests"]!.AsArray().Select(m => m!["artifactType"]!.GetValue<string>()).ToList();
            Assert.Contains("application/vnd.cyclonedx+json", types);
            Assert.Contains("application/spdx+json", types);
        }
        using (var sbom = await _server.Client.GetAsync($"/api/v1/repositories/scan/lodash/manifests/{lodash}/sbom?format=cyclonedx"))
        {
            var doc = await AccessServer.ExpectAsync(sbom, HttpStatusCode.OK, "sbom");
            Assert.Equal("CycloneDX", doc["bomFormat"]!.GetValue<string>());
            Assert.Contains("pkg:npm/lodash@4.17.15", doc.ToJsonString());
            Assert.Equal("true", sbom.Headers.GetValues("X-Bollard-Sbom-Generated").Single());
        }
        // The SBOM referrers are not scanned as images.
        Assert.Empty(Ids(await FindingsAsync("scan/lodash", lodash)));
        // Bollard's SBOMs go with their image: deleting it leaves no referrer (and no blob kept referenced by one).
        // A scan is marked done before its SBOM referrers are attached: wait for both.
        var store = _server.Services.GetRequiredService<Bollard.Core.Storage.IManifestStore>();
        List<string> goneSboms = [];
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(30); await Task.Delay(100))
        {
            goneSboms = (await store.ListReferrersAsync(Bollard.Core.Oci.RepositoryName.Parse("scan/gone"), Bollard.Core.Oci.Digest.Parse(gone), null, default))
                .Select(r => r.Digest.ToString()).ToList();
            if (goneSboms.Count >= 2) break;
        }
        Assert.Equal(2, goneSboms.Count);
        using (var deleted = await _server.Client.DeleteAsync($"/v2/scan/gone/manifests/{gone}"))
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        using (var sbomsAfter = await _server.Client.GetAsync($"/v2/scan/gone/referrers/{gone}"))
            Assert.Empty((await AccessServer.ExpectAsync(sbomsAfter, HttpStatusCode.OK, "referrers"))["manifests"]!.AsArray());
        foreach (string sbom in goneSboms)
        {
            using var missing = await _server.Client.GetAsync($"/v2/scan/gone/manifests/{sbom}");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        var scanner = _server.Services.GetRequiredService<ImageScanner>();
        long layersRead = scanner.LayersRead;
        Assert.True(layersRead > 0);
        var advisories = _server.Services.GetRequiredService<AdvisoryDatabase>();
        string[] first = ["GHSA-29mw-wpgm-hmr9.json", "GHSA-p6mc-m468-83gw.json", "GHSA-fvqr-27wr-82fm.json"];
        await advisories.ImportAsync(OsvFolder("v1", first), new AdvisoryImportOptions { Feed = "osv:npm-test" }, default);
        await WaitForRematchAsync(1);

        Assert.Equal(["GHSA-29mw-wpgm-hmr9", "GHSA-p6mc-m468-83gw"], Ids(await FindingsAsync("scan/lodash", lodash)).Order());
        Assert.Empty(Ids(await FindingsAsync("scan/minimist", minimist)));
        Assert.Empty(Ids(await FindingsAsync("scan/debian", debian)));

        // A newer snapshot: GHSA-p6mc's fix moves to 4.17.12 (4.17.15 is no longer affected) and a minimist advisory is added.
        var events = _server.Services.GetRequiredService<IEventStore>();
        long head = await events.HeadAsync(default);
        string[] second = [.. first, "GHSA-xvch-5gv4-984h.json"];
        await advisories.ImportAsync(OsvFolder("v2", second, (file, json) =>
        {
            if (file.StartsWith("GHSA-p6mc", StringComparison.Ordinal))
                json["affected"]![0]!["ranges"]![0]!["events"] = new JsonArray(new JsonObject { ["introduced"] = "0" }, new JsonObject { ["fixed"] = "4.17.12" });
            return json;
        }), new AdvisoryImportOptions { Feed = "osv:npm-test" }, default);
        await WaitForRematchAsync(2);

        Assert.Equal(["GHSA-29mw-wpgm-hmr9"], Ids(await FindingsAsync("scan/lodash", lodash)));
        Assert.Equal(["GHSA-xvch-5gv4-984h"], Ids(await FindingsAsync("scan/minimist", minimist)));
        Assert.Empty(Ids(await FindingsAsync("scan/debian", debian)));
        var changed = (await events.ReadAsync(head, 1000, default)).Where(e => e.Kind == RegistryEventKind.FindingsChanged).ToList();
        Assert.Equal(new[] { lodash, minimist }.Order(StringComparer.Ordinal), changed.Select(e => e.Digest.ToString()).Order(StringComparer.Ordinal));
        Assert.Contains("lost: GHSA-p6mc-m468-83gw", changed.Single(e => e.Digest.ToString() == lodash).Detail);
        Assert.Contains("gained: GHSA-xvch-5gv4-984h", changed.Single(e => e.Digest.ToString() == minimist).Detail);
        Assert.Equal(layersRead, scanner.LayersRead);

        // The log4j question, for lodash: which repositories, tags and digests hold it.
        var hits = await AccessServer.ExpectAsync(await _server.Client.GetAsync("/api/v1/packages?purl=pkg:npm/lodash"), HttpStatusCode.OK, "packages");
        var hit = Assert.Single(hits["packages"]!.AsArray(), h => h!["repository"]!.GetValue<string>() == "scan/lodash");
        Assert.Equal(lodash, hit!["digest"]!.GetValue<string>());
        Assert.Equal(["1"], hit["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.DoesNotContain(hits["packages"]!.AsArray(), h => h!["repository"]!.GetValue<string>() != "scan/lodash");
        var exact = await AccessServer.ExpectAsync(await _server.Client.GetAsync("/api/v1/packages?type=npm&name=lodash&version=4.17.14"), HttpStatusCode.OK, "packages");
        Assert.Empty(exact["packages"]!.AsArray());

        // An exception hides the finding until it expires on the server's clock.
        var created = await AccessServer.ExpectAsync(await _server.Client.PostAsJsonAsync("/api/v1/exceptions", new
        {
            advisoryId = "GHSA-29mw-wpgm-hmr9", @namespace = "scan/**", package = "lodash", reason = "template() is never called with user input", owner = "web-team",
            expiresAt = _clock.GetUtcNow().AddDays(30),
        }), HttpStatusCode.Created, "exception");
        Assert.Empty(Ids(await FindingsAsync("scan/lodash", lodash)));
        var all = await FindingsAsync("scan/lodash", lodash, "?all=true");
        Assert.Equal("Excepted", all["findings"]![0]!["status"]!.GetValue<string>());
        _clock.Advance(TimeSpan.FromDays(31));
        Assert.Equal(["GHSA-29mw-wpgm-hmr9"], Ids(await FindingsAsync("scan/lodash", lodash)));
        Assert.True(created["id"]!.GetValue<long>() > 0);

        var summary = await AccessServer.ExpectAsync(await _server.Client.GetAsync("/api/v1/vulnerabilities?repository=scan/lodash"), HttpStatusCode.OK, "summary");
        Assert.Equal(1, summary["scanned"]!.GetValue<int>());
    }

    [Fact]
    public async Task QueuedScan_SurvivesARestart()
    {
        await _server.RestartAsync(new Dictionary<string, string?> { ["Jobs:PollInterval"] = "01:00:00", ["Scanning:Enabled"] = "true" });
        // The runner looked for work when it started and sleeps an hour: the scan of this push stays queued.
        string digest = await ScanImages.PushDebianAsync(_work, _server.HostPort, "restart/app", "1", null);
        var queued = await ScanImages.WaitForStateAsync(_server.Client, "restart/app", digest, s => s != "none");
        Assert.Equal("queued", queued["state"]!.GetValue<string>());
        await _server.RestartAsync(new Dictionary<string, string?> { ["Jobs:PollInterval"] = "00:00:00.100", ["Scanning:Enabled"] = "true" });
        var done = await ScanImages.WaitForStateAsync(_server.Client, "restart/app", digest, s => s is "done" or "failed");
        Assert.Equal("done", done["state"]!.GetValue<string>());
        Assert.Equal(queued["jobId"]!.GetValue<long>(), done["jobId"]!.GetValue<long>());
    }
}
