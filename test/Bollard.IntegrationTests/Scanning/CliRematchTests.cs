using System.Net;
using System.Text.Json.Nodes;
using Bollard.IntegrationTests.Cli;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Scanning;

/// <summary>
/// <c>bollard db import --data DIR</c> beside a running server on DIR (the README tour): the import queues the
/// <c>rematch</c> job in the folder's job store, the server's runner claims it, and the stored image gets the new
/// findings without another import through the API. The job is visible in <c>GET /api/v1/advisories/rematches</c>.
/// </summary>
public sealed class CliRematchTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _work = TempDir.Create("bollard-cli-rematch-");
    private BollardServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await BollardServer.StartAsync(new Dictionary<string, string?> { ["Jobs:PollInterval"] = "00:00:00.100", ["Scanning:Enabled"] = "true" }, output: output);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        TempDir.Delete(_work);
    }

    /// <summary>An OSV record in Debian's form (as osv.dev publishes DSAs) against bookworm's <c>base-files</c>, fixed after the image's 12.4+deb12u15.</summary>
    private string DebianOsvFolder()
    {
        string dir = Path.Combine(_work, "osv-debian");
        Directory.CreateDirectory(dir);
        var record = new JsonObject
        {
            ["id"] = "DSA-9999-1",
            ["modified"] = "2026-12-01T00:00:00Z",
            ["summary"] = "base-files - test advisory",
            ["affected"] = new JsonArray(new JsonObject
            {
                ["package"] = new JsonObject { ["ecosystem"] = "Debian:12", ["name"] = "base-files" },
                ["ranges"] = new JsonArray(new JsonObject
                {
                    ["type"] = "ECOSYSTEM",
                    ["events"] = new JsonArray(new JsonObject { ["introduced"] = "0" }, new JsonObject { ["fixed"] = "12.4+deb12u99" }),
                }),
            }),
        };
        File.WriteAllText(Path.Combine(dir, "DSA-9999-1.json"), record.ToJsonString());
        return dir;
    }

    private async Task<JsonArray> FindingsAsync(string repo, string digest)
    {
        using var response = await _server.Client.GetAsync($"/api/v1/repositories/{repo}/manifests/{digest}/findings");
        return (await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "findings"))["findings"]!.AsArray();
    }

    [Fact]
    public async Task DbImport_BesideARunningServer_RematchesStoredImages()
    {
        string digest = await ScanImages.PushDebianAsync(_work, _server.HostPort, "tour/debian", "1", null);
        var state = await ScanImages.WaitForStateAsync(_server.Client, "tour/debian", digest, s => s is "done" or "failed");
        Assert.Equal("done", state["state"]!.GetValue<string>());
        Assert.Empty(await FindingsAsync("tour/debian", digest));

        using var cli = new CliRunner();
        var import = await cli.RunAsync("db", "import", "--data", _server.DataDir, DebianOsvFolder());
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains("1 added", import.Stdout, StringComparison.Ordinal);
        Assert.Contains("Queued re-match job", import.Stdout, StringComparison.Ordinal);

        JsonNode? job = null;
        for (var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            using var response = await _server.Client.GetAsync("/api/v1/advisories/rematches");
            var list = (await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "rematches"))["rematches"]!.AsArray();
            job = list.SingleOrDefault();
            if (job?["state"]!.GetValue<string>() is "succeeded" or "failed") break;
        }
        Assert.True(job?["state"]!.GetValue<string>() == "succeeded", job?.ToJsonString() ?? "no rematch job was queued by bollard db import");
        Assert.Contains("1 changed", job!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        var finding = Assert.Single(await FindingsAsync("tour/debian", digest));
        Assert.Equal("DSA-9999-1", finding!["advisoryId"]!.GetValue<string>());
        Assert.Equal("base-files", finding["packageName"]!.GetValue<string>());
        Assert.Equal("12.4+deb12u99", finding["fixedVersion"]!.GetValue<string>());
    }
}
