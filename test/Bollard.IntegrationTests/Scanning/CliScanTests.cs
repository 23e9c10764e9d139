using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Bollard.Scanning.Advisories;
using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bollard.IntegrationTests.Scanning;

/// <summary>
/// <c>bollard scan</c> and <c>bollard sbom</c> as a person runs them (the real executable as a child process) on the
/// real-image fixtures (an npm layer with lodash 4.17.15 and minimist 1.2.0 over a debootstrap bookworm), with an
/// advisory database made by importing the shared OSV npm records into a data folder: from an OCI layout, from a
/// docker-archive made by skopeo, from the Bollard server (with auth) and from Debian's docker-registry (CNCF
/// Distribution); and the one-line failures.
/// </summary>
public sealed class CliScanTests : IAsyncLifetime
{
    private const string Lodash = "GHSA-p6mc-m468-83gw";
    private readonly string _work = TempDir.Create("bollard-cli-scan-");
    private string _data = "";
    private string _image = "";
    private Dictionary<string, string> _env = [];

    public async Task InitializeAsync()
    {
        _data = Path.Combine(_work, "data");
        Directory.CreateDirectory(_data);
        var db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_data, "bollard.db") });
        using (var advisories = new AdvisoryDatabase(new SqliteAdvisoryStore(db), () => [], TimeProvider.System, NullLogger<AdvisoryDatabase>.Instance))
            await advisories.ImportAsync(Path.Combine(ScanImages.VulnData, "osv", "npm"), null, default);
        db.Dispose();
        SqliteConnection.ClearAllPools();
        _image = await ScanFixtures.OciReferenceAsync("bookworm-npm");
        string dockerConfig = Path.Combine(_work, "docker");
        Directory.CreateDirectory(dockerConfig);
        _env = new Dictionary<string, string> { ["DOCKER_CONFIG"] = dockerConfig };
    }

    public Task DisposeAsync()
    {
        TempDir.Delete(_work);
        return Task.CompletedTask;
    }

    private Task<BollardProcess.Exited> Bollard(params string[] args) => BollardProcess.RunAsync(args, _env);

    private static List<(string Id, string Package)> Findings(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.GetProperty("images").EnumerateArray()
            .SelectMany(i => i.GetProperty("findings").EnumerateArray())
            .Select(f => (f.GetProperty("advisoryId").GetString()!, f.GetProperty("packageName").GetString()!))];
    }

    [Fact]
    public async Task Scan_oci_layout_finds_the_npm_advisories_and_exit_code_follows_the_filters()
    {
        var json = await Bollard("scan", _image, "--data", _data, "--format", "json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        var findings = Findings(json.Stdout);
        Assert.Contains((Lodash, "lodash"), findings);
        Assert.Contains(findings, f => f.Package == "minimist");

        var table = await Bollard("scan", _image, "--data", _data);
        Assert.Equal(0, table.ExitCode);
        Assert.Contains(Lodash, table.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", table.Stderr, StringComparison.Ordinal); // no progress bar when stderr is not a terminal

        Assert.Equal(3, (await Bollard("scan", _image, "--data", _data, "--exit-code", "3")).ExitCode);
        // No negligible npm advisory: nothing left after the filter, so the exit code stays 0.
        var none = await Bollard("scan", _image, "--data", _data, "--exit-code", "3", "--severity", "negligible", "--format", "json");
        Assert.Equal(0, none.ExitCode);
        Assert.Empty(Findings(none.Stdout));

        string sarifFile = Path.Combine(_work, "out.sarif");
        Assert.Equal(0, (await Bollard("scan", _image, "--data", _data, "--format", "sarif", "-o", sarifFile)).ExitCode);
        using var sarif = JsonDocument.Parse(await File.ReadAllTextAsync(sarifFile));
        Assert.Contains(sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray(), r => r.GetProperty("ruleId").GetString() == Lodash);
    }

    [Fact]
    public async Task Sbom_of_the_oci_layout_lists_the_packages_with_the_image_digest()
    {
        var cdx = await Bollard("sbom", _image);
        Assert.True(cdx.ExitCode == 0, cdx.Stderr);
        using var bom = JsonDocument.Parse(cdx.Stdout);
        var image = bom.RootElement.GetProperty("metadata").GetProperty("component");
        Assert.StartsWith("sha256:", image.GetProperty("version").GetString(), StringComparison.Ordinal);
        var purls = bom.RootElement.GetProperty("components").EnumerateArray().Select(c => c.TryGetProperty("purl", out var p) ? p.GetString() : null).ToList();
        Assert.Contains("pkg:npm/lodash@4.17.15", purls);
        Assert.Contains(purls, p => p is not null && p.StartsWith("pkg:deb/debian/", StringComparison.Ordinal));

        var spdx = await Bollard("sbom", _image, "--format", "spdx");
        Assert.Equal(0, spdx.ExitCode);
        using var doc = JsonDocument.Parse(spdx.Stdout);
        Assert.Equal("SPDX-2.3", doc.RootElement.GetProperty("spdxVersion").GetString());
    }

    /// <summary>"2 layers, 1 read, ..." of <c>--verbose</c>: (layers, read).</summary>
    private static (int Layers, int Read) LayerCounts(string stderr)
    {
        var match = System.Text.RegularExpressions.Regex.Match(stderr, @": (\d+) layers, (\d+) read, ");
        Assert.True(match.Success, $"no layer counts in: {stderr}");
        return (int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private long CachedLayerIndexes()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_data, "bollard.db")};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM layer_indexes WHERE engine_version = $v";
        command.Parameters.AddWithValue("$v", global::Bollard.Scanning.ScanEngine.Version);
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task Scan_with_data_reads_a_layer_once_across_images_through_the_layer_index_cache_of_the_folder()
    {
        // bookworm-npm: the bookworm layer and the npm layer; bookworm-npm-removed: those two and one more.
        var first = await Bollard("scan", _image, "--data", _data, "--format", "json", "--verbose");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var (layers, read) = LayerCounts(first.Stderr);
        Assert.Equal(2, layers);
        Assert.Equal(2, read);
        // The indexes are in the folder's database, the table 'bollard serve' keeps (layer digest, engine version).
        Assert.Equal(2, CachedLayerIndexes());

        string removed = await ScanFixtures.OciReferenceAsync("bookworm-npm-removed");
        var second = await Bollard("scan", removed, "--data", _data, "--format", "json", "-v");
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Equal((3, 1), LayerCounts(second.Stderr));
        Assert.Contains($"2 from the layer index cache of {_data}", second.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain((Lodash, "lodash"), Findings(second.Stdout)); // the cached layers merge with the new one's whiteouts
        Assert.Equal(3, CachedLayerIndexes());

        // Again: nothing read, the same findings; and bollard sbom uses the folder's cache too.
        var again = await Bollard("scan", _image, "--data", _data, "--format", "json", "-v");
        Assert.Equal((2, 0), LayerCounts(again.Stderr));
        Assert.Equal(Findings(first.Stdout).Order(), Findings(again.Stdout).Order());
        var sbom = await Bollard("sbom", removed, "--data", _data, "-v");
        Assert.True(sbom.ExitCode == 0, sbom.Stderr);
        Assert.Equal((3, 0), LayerCounts(sbom.Stderr));

        // Without --verbose, nothing on standard error.
        var quiet = await Bollard("scan", _image, "--data", _data);
        Assert.Equal("", quiet.Stderr);
    }

    [Fact]
    public async Task Scan_docker_archive_made_by_skopeo_finds_the_same()
    {
        ExternalTool.Require("skopeo");
        string archive = Path.Combine(_work, "image.tar");
        await ExternalTool.RunCheckedAsync("skopeo", ["copy", _image, $"docker-archive:{archive}:team/app:1.0"], timeout: TimeSpan.FromMinutes(5));

        var oci = Findings((await Bollard("scan", _image, "--data", _data, "--format", "json")).Stdout);
        var result = await Bollard("scan", $"docker-archive:{archive}", "--data", _data, "--format", "json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(oci.Order(), Findings(result.Stdout).Order());
        Assert.Contains("team/app:1.0\"", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_docker_from_the_Bollard_server_with_auth_and_wrong_credentials()
    {
        await using var access = await AccessServer.StartAsync();
        string creds = $"{access.Admin.User}:{access.Admin.Secret}";
        await ScanFixtures.PushAsync("bookworm-npm", access.Server.HostPort, "team/app", "1.0", creds);
        string image = $"docker://{access.Server.HostPort}/team/app:1.0";

        var ok = await Bollard("scan", image, "--data", _data, "--format", "json", "--username", access.Admin.User, "--password", access.Admin.Secret);
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Contains((Lodash, "lodash"), Findings(ok.Stdout));

        // Credentials from the environment work the same.
        var env = new Dictionary<string, string>(_env) { ["BOLLARD_USERNAME"] = access.Admin.User, ["BOLLARD_PASSWORD"] = access.Admin.Secret };
        // A Bollard server with scanning off has no SBOM stored for the image: bollard sbom makes it here and says so.
        var made = await BollardProcess.RunAsync(["sbom", image], env);
        Assert.True(made.ExitCode == 0, made.Stderr);
        Assert.Contains("sbom: made here from the image's layers (no application/vnd.cyclonedx+json SBOM stored by Bollard among the image's 0 referrers)", made.Stderr, StringComparison.Ordinal);
        Assert.Contains("pkg:npm/lodash@4.17.15", made.Stdout, StringComparison.Ordinal);

        // And from the docker config (base64 auths).
        string dockerDir = Path.Combine(_work, "docker-auth");
        Directory.CreateDirectory(dockerDir);
        string auth = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(creds));
        await File.WriteAllTextAsync(Path.Combine(dockerDir, "config.json"),
            JsonSerializer.Serialize(new Dictionary<string, object> { ["auths"] = new Dictionary<string, object> { [access.Server.HostPort] = new Dictionary<string, string> { ["auth"] = auth } } }));
        Assert.Equal(0, (await BollardProcess.RunAsync(["sbom", image], new Dictionary<string, string> { ["DOCKER_CONFIG"] = dockerDir })).ExitCode);

        var wrong = await Bollard("scan", image, "--data", _data, "--username", access.Admin.User, "--password", "not-the-password");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("authentication failed", wrong.Stderr, StringComparison.Ordinal);
        Assert.Single(wrong.Stderr.Trim().Split('\n'));

        var missing = await Bollard("scan", $"docker://{access.Server.HostPort}/team/app:nope", "--data", _data, "--username", access.Admin.User, "--password", access.Admin.Secret);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("not found", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_docker_from_Debian_docker_registry()
    {
        ExternalTool.Require("docker-registry");
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        string root = Path.Combine(_work, "distribution");
        Directory.CreateDirectory(root);
        string config = Path.Combine(root, "config.yml");
        await File.WriteAllTextAsync(config, $"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {root}/data\nhttp:\n  addr: 127.0.0.1:{port}\n");
        using var registry = Process.Start(new ProcessStartInfo("docker-registry", ["serve", config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        registry.OutputDataReceived += (_, _) => { };
        registry.ErrorDataReceived += (_, _) => { };
        registry.BeginOutputReadLine();
        registry.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient();
            var ready = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    using var v2 = await http.GetAsync($"http://127.0.0.1:{port}/v2/");
                    if (v2.IsSuccessStatusCode) break;
                }
                catch (HttpRequestException) when (ready.Elapsed < TimeSpan.FromSeconds(30) && !registry.HasExited)
                {
                    await Task.Delay(100);
                }
            }
            await ScanFixtures.PushAsync("bookworm-npm", $"127.0.0.1:{port}", "library/app", "1.0");

            var result = await Bollard("scan", $"docker://127.0.0.1:{port}/library/app:1.0", "--data", _data, "--format", "json");
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains((Lodash, "lodash"), Findings(result.Stdout));

            // CNCF Distribution 2.8 has no referrers API: the SBOM is made here, and stderr says why.
            var sbom = await Bollard("sbom", $"docker://127.0.0.1:{port}/library/app:1.0");
            Assert.True(sbom.ExitCode == 0, sbom.Stderr);
            Assert.Contains($"sbom: made here from the image's layers (127.0.0.1:{port} has no OCI referrers API)", sbom.Stderr, StringComparison.Ordinal);
            Assert.Contains("pkg:npm/lodash@4.17.15", sbom.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            registry.Kill();
            await registry.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Bad_inputs_are_one_line_errors_with_a_non_zero_exit()
    {
        var unknown = await Bollard("scan", "podman://x", "--data", _data);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown image source", unknown.Stderr, StringComparison.Ordinal);

        var missingDir = await Bollard("scan", $"oci:{Path.Combine(_work, "nope")}", "--data", _data);
        Assert.Equal(1, missingDir.ExitCode);
        Assert.Contains("no such directory", missingDir.Stderr, StringComparison.Ordinal);

        string corrupt = Path.Combine(_work, "corrupt");
        Directory.CreateDirectory(corrupt);
        await File.WriteAllTextAsync(Path.Combine(corrupt, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        await File.WriteAllTextAsync(Path.Combine(corrupt, "index.json"), """{"schemaVersion":2,"manifests":[{"mediaType":""");
        var bad = await Bollard("scan", $"oci:{corrupt}", "--data", _data);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("index.json is not valid JSON", bad.Stderr, StringComparison.Ordinal);

        var noDb = await Bollard("scan", _image, "--data", Path.Combine(_work, "empty"));
        Assert.Equal(2, noDb.ExitCode);
        Assert.Contains("no advisory database", noDb.Stderr, StringComparison.Ordinal);

        foreach (var r in new[] { unknown, missingDir, bad, noDb })
        {
            Assert.Single(r.Stderr.Trim().Split('\n'));
            Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        }
    }
}
