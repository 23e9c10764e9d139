using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.Scanning.Advisories;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Bollard.IntegrationTests.Trust.PolicyTestSupport;

namespace Bollard.IntegrationTests.Trust;

/// <summary>
/// The scanner rules of a trust policy on the real server with scanning on: an image with lodash 4.17.15 (real OSV
/// advisories imported) is refused by a policy allowing at most medium findings, with the advisories named; an exception
/// lets it through at once (the exception change drops the cached decision); an SBOM rule is met by the scanner's own
/// SBOM referrer.
/// </summary>
public sealed class PolicyScannerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _work = TempDir.Create("bollard-policy-scan-");
    private BollardServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await BollardServer.StartAsync(new Dictionary<string, string?> { ["Jobs:PollInterval"] = "00:00:00.100", ["Scanning:Enabled"] = "true" }, output: output);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        TempDir.Delete(_work);
    }

    /// <summary>An image whose only layer is <c>app/package-lock.json</c> locking lodash 4.17.15.</summary>
    private async Task<string> PushLodashImageAsync(string repository)
    {
        const string Lock = """
            {"name":"app","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{
              "":{"name":"app","version":"1.0.0","dependencies":{"lodash":"4.17.15"}},
              "node_modules/lodash":{"version":"4.17.15","resolved":"https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz"}}}
            """;
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "app/") { ModificationTime = DateTimeOffset.UnixEpoch });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "app/package-lock.json")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(Lock)), ModificationTime = DateTimeOffset.UnixEpoch,
            });
        }
        byte[] plain = tar.ToArray();
        var gz = new MemoryStream();
        using (var zip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) zip.Write(plain);
        byte[] layer = gz.ToArray();
        var client = _server.Client;
        string layerDigest = await client.PushBlobAsync(repository, layer);
        byte[] config = Encoding.UTF8.GetBytes($$$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["{{{RegistryTestClient.Sha256(plain)}}}"]},"config":{}}""");
        string configDigest = await client.PushBlobAsync(repository, config);
        byte[] manifest = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{configDigest}}","size":{{config.Length}}},
             "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{layerDigest}}","size":{{layer.Length}}}]}
            """);
        using var put = await client.PutManifestAsync(repository, "1", manifest, "application/vnd.oci.image.manifest.v1+json");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return RegistryTestClient.Sha256(manifest);
    }

    private async Task ImportLodashAdvisoriesAsync()
    {
        string dir = Path.Combine(_work, "osv", "npm");
        Directory.CreateDirectory(dir);
        foreach (string file in new[] { "GHSA-29mw-wpgm-hmr9.json", "GHSA-p6mc-m468-83gw.json", "GHSA-35jh-r3h4-6jhm.json" })
            File.Copy(Path.Combine(Scanning.ScanImages.VulnData, "osv", "npm", file), Path.Combine(dir, file));
        await _server.Services.GetRequiredService<AdvisoryDatabase>().ImportAsync(dir, new AdvisoryImportOptions { Feed = "osv:npm-policy" }, default);
    }

    [Fact]
    public async Task SeverityRule_DeniesWithTheAdvisories_ExceptionAllowsAtOnce_SbomRuleMet()
    {
        await ImportLodashAdvisoriesAsync();
        string digest = await PushLodashImageAsync("scan-gate/app");
        var state = await Scanning.ScanImages.WaitForStateAsync(_server.Client, "scan-gate/app", digest, s => s is "done" or "failed" or "skipped");
        Assert.True(state["state"]!.GetValue<string>() == "done", state.ToJsonString());
        // The scan ran after the import, but the re-match may still be under way: wait until the findings are there.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            using var findings = await _server.Client.GetAsync($"/api/v1/repositories/scan-gate/app/manifests/{digest}/findings");
            var body = await AccessServer.ExpectAsync(findings, HttpStatusCode.OK, "findings");
            if (body["findings"]!.AsArray().Count >= 3) break;
            Assert.True(DateTime.UtcNow < deadline, body.ToJsonString());
            await Task.Delay(100);
        }
        // The scan is marked done before its SBOM referrers are attached: wait for them too.
        while (true)
        {
            using var referrers = await _server.Client.GetAsync($"/v2/scan-gate/app/referrers/{digest}");
            string text = await referrers.Content.ReadAsStringAsync();
            if (text.Contains("application/vnd.cyclonedx", StringComparison.Ordinal)) break;
            Assert.True(DateTime.UtcNow < deadline, text);
            await Task.Delay(100);
        }

        await PutPolicyOkAsync(_server.Client, Policy("scan-gate", "scan-gate/**", "enforce", extra: new JsonObject
        {
            ["vulnerabilities"] = new JsonObject { ["maxSeverity"] = "medium" }, ["sbom"] = new JsonObject { ["required"] = true },
        }));
        var decision = await TestAsync(_server.Client, "scan-gate/app", "1");
        Assert.False(decision["allowed"]!.GetValue<bool>(), decision.ToJsonString());
        var advisories = decision["advisories"]!.AsArray().Select(a => a!.GetValue<string>()).Order().ToList();
        Assert.Equal(["GHSA-35jh-r3h4-6jhm", "GHSA-p6mc-m468-83gw"], advisories);
        string violation = Assert.Single(decision["violations"]!.AsArray())!.GetValue<string>();
        Assert.Contains("GHSA-p6mc-m468-83gw", violation, StringComparison.Ordinal);
        Assert.Contains("lodash 4.17.15", violation, StringComparison.Ordinal);
        using (var pull = await _server.Client.GetAsync("/v2/scan-gate/app/manifests/1"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, pull.StatusCode);
            Assert.Contains("GHSA-35jh-r3h4-6jhm", await pull.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        foreach (string id in advisories)
        {
            using var exception = await _server.Client.PostAsJsonAsync("/api/v1/exceptions", new
            {
                advisoryId = id, @namespace = "scan-gate/**", reason = "not reachable from our code", owner = "shop team", expiresAt = DateTimeOffset.UtcNow.AddDays(30),
            });
            Assert.Equal(HttpStatusCode.Created, exception.StatusCode);
        }
        decision = await TestAsync(_server.Client, "scan-gate/app", "1");
        Assert.True(decision["allowed"]!.GetValue<bool>(), decision.ToJsonString());
        Assert.Contains(decision["notes"]!.AsArray(), n => n!.GetValue<string>().Contains("excepted until", StringComparison.Ordinal));
        Assert.Contains(decision["notes"]!.AsArray(), n => n!.GetValue<string>().Contains("an SBOM is stored", StringComparison.Ordinal));
        using (var pull = await _server.Client.GetAsync("/v2/scan-gate/app/manifests/1"))
            Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
    }
}
