using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Scanning;

/// <summary>
/// <c>bollard sbom docker://</c> against a Bollard server that scans on push: the real executable prints the SBOM the
/// server stored as a referrer (the same bytes, digest verified), in both formats, unless <c>--generate</c>; and
/// <c>bollard scan --data</c> on the server's own data folder reads no layer the server already indexed. (The
/// fallbacks, a Bollard without a stored SBOM and a registry without the referrers API, are in <see cref="CliScanTests"/>.)
/// </summary>
public sealed class CliStoredSbomTests(ITestOutputHelper output) : IAsyncLifetime
{
    private BollardServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await BollardServer.StartAsync(new Dictionary<string, string?> { ["Jobs:PollInterval"] = "00:00:00.100", ["Scanning:Enabled"] = "true" }, output: output);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string Sha256(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The SBOM layer of each Bollard SBOM referrer of the image, by artifact type, once both are attached.</summary>
    private async Task<Dictionary<string, string>> StoredSbomsAsync(string repository, string digest)
    {
        var found = new Dictionary<string, string>();
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromMinutes(3); await Task.Delay(200))
        {
            using var referrers = await _server.Client.GetAsync($"/v2/{repository}/referrers/{digest}");
            var index = await AccessServer.ExpectAsync(referrers, HttpStatusCode.OK, "referrers");
            var sboms = index["manifests"]!.AsArray().Where(m => m!["annotations"]?["dev.bollard.sbom.generator"] is not null).ToList();
            if (sboms.Count < 2) continue;
            foreach (var m in sboms)
            {
                using var manifest = await _server.Client.GetAsync($"/v2/{repository}/manifests/{m!["digest"]!.GetValue<string>()}");
                var body = await AccessServer.ExpectAsync(manifest, HttpStatusCode.OK, "sbom manifest");
                found[m["artifactType"]!.GetValue<string>()] = body["layers"]![0]!["digest"]!.GetValue<string>();
            }
            return found;
        }
        Assert.Fail($"the server attached no SBOM referrers to {repository}@{digest} within 3 minutes:\n{_server.RecentLog()}");
        return found;
    }

    [Fact]
    public async Task Sbom_prints_the_SBOM_the_server_stored_unless_generate_and_scan_reuses_the_servers_layer_indexes()
    {
        await ScanFixtures.PushAsync("bookworm-npm", _server.HostPort, "team/app", "1.0");
        using var head = new HttpRequestMessage(HttpMethod.Head, "/v2/team/app/manifests/1.0");
        head.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.manifest.v1+json"));
        using var headed = await _server.Client.SendAsync(head);
        string digest = headed.Headers.GetValues("Docker-Content-Digest").Single();
        var stored = await StoredSbomsAsync("team/app", digest);
        string image = $"docker://{_server.HostPort}/team/app:1.0";

        var cdx = await BollardProcess.RunAsync(["sbom", image]);
        Assert.True(cdx.ExitCode == 0, cdx.Stderr);
        Assert.Equal(stored["application/vnd.cyclonedx+json"], Sha256(System.Text.Encoding.UTF8.GetBytes(cdx.Stdout)));
        Assert.Contains($"sbom: the cyclonedx SBOM Bollard stored for {image}", cdx.Stderr, StringComparison.Ordinal);
        Assert.Contains($"{stored["application/vnd.cyclonedx+json"]} verified", cdx.Stderr, StringComparison.Ordinal);

        string spdxFile = Path.Combine(_server.DataDir, "app.spdx.json");
        var spdx = await BollardProcess.RunAsync(["sbom", image, "--format", "spdx", "-o", spdxFile]);
        Assert.True(spdx.ExitCode == 0, spdx.Stderr);
        Assert.Equal(stored["application/spdx+json"], Sha256(await File.ReadAllBytesAsync(spdxFile)));
        Assert.Contains("sbom: the spdx SBOM Bollard stored", spdx.Stderr, StringComparison.Ordinal);

        // --generate: made here from the layers (its subject names the registry host, so it is another document).
        var generated = await BollardProcess.RunAsync(["sbom", image, "--generate"]);
        Assert.True(generated.ExitCode == 0, generated.Stderr);
        Assert.Contains("sbom: made here from the image's layers (--generate)", generated.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(stored["application/vnd.cyclonedx+json"], Sha256(System.Text.Encoding.UTF8.GetBytes(generated.Stdout)));
        using (var bom = JsonDocument.Parse(generated.Stdout))
            Assert.Contains("pkg:npm/lodash@4.17.15", bom.RootElement.GetProperty("components").EnumerateArray().Select(c => c.TryGetProperty("purl", out var p) ? p.GetString() : null));

        // The server indexed both layers when it scanned on push; a CLI scan with the server's data folder reads none.
        var scan = await BollardProcess.RunAsync(["scan", image, "--data", _server.DataDir, "--format", "json", "--verbose"]);
        Assert.True(scan.ExitCode == 0, scan.Stderr);
        Assert.Contains($"2 layers, 0 read, 2 from the layer index cache of {_server.DataDir}", scan.Stderr, StringComparison.Ordinal);
        Assert.NotNull(JsonNode.Parse(scan.Stdout)!["images"]);
    }
}
