using System.Diagnostics;
using System.Net;
using Bollard.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bollard.IntegrationTests.Hosting;

public sealed class ConfigurationTests : IDisposable
{
    private readonly string _dir = TempDir.Create("bollard-config-");

    public void Dispose() => TempDir.Delete(_dir);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task YamlFile_SettingsApply_AndFlagsWin()
    {
        string data = Path.Combine(_dir, "data");
        string config = Write("bollard.yml", $"""
            server:
              listen: 127.0.0.1:1   # overridden by the flag below
            storage:
              dataDir: {data}
            registry:
              maxPageSize: 2
            """);
        await using var app = BollardApplication.Build(config, new Dictionary<string, string?> { ["Server:Listen"] = "127.0.0.1:0", ["Auth:Enabled"] = "false" },
            b => b.SetMinimumLevel(LogLevel.Critical));
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = app.Address() };
        foreach (var tag in new[] { "a", "b", "c" }) await client.PushImageAsync("cfg/app", tag, layers: 1);

        using var response = await client.GetAsync("/v2/cfg/app/tags/list");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"tags\":[\"a\",\"b\"]", await response.Content.ReadAsStringAsync());
        Assert.Contains("last=b", response.Headers.GetValues("Link").Single());
        Assert.True(File.Exists(Path.Combine(data, "bollard.db")));
        await app.StopAsync();
    }

    [Fact]
    public async Task JobsSettings_AreKnown_AndBound()
    {
        string config = Write("jobs.yml", $"""
            storage:
              dataDir: {Path.Combine(_dir, "jobs")}
            jobs:
              maxConcurrency: 4
              leaseDuration: 30s
            """);
        await using var app = BollardApplication.Build(config, new Dictionary<string, string?> { ["Server:Listen"] = "127.0.0.1:0" },
            b => b.SetMinimumLevel(LogLevel.Critical));
        await app.StartAsync();
        var options = app.Services.GetRequiredService<Bollard.Core.Jobs.JobOptions>();
        Assert.Equal((4, TimeSpan.FromSeconds(30)), (options.MaxConcurrency, options.LeaseDuration));
        await app.StopAsync();

        string typo = Write("typo.yml", "jobs:\n  maxConcurency: 4\n");
        var e = Assert.Throws<ConfigurationException>(() => BollardApplication.Build(typo, new Dictionary<string, string?>()));
        Assert.Contains("did you mean Jobs:MaxConcurrency?", e.Message);
    }

    [Fact]
    public void YamlFile_Malformed_FailsWithClearMessage()
    {
        string config = Write("bad.yml", "registry:\n  maxPageSize: [unclosed\n");
        var e = Assert.Throws<ConfigurationException>(() => BollardApplication.Build(config, new Dictionary<string, string?>()));
        Assert.Matches(@"not valid YAML at line \d+, column \d+: ", e.Message);
    }

    [Fact]
    public void UnknownStorageType_FailsNamingTheSetting()
    {
        var e = Assert.Throws<ConfigurationException>(() => BollardApplication.Build(null, new Dictionary<string, string?>
        {
            ["Storage:DataDir"] = Path.Combine(_dir, "d"),
            ["Storage:Blobs:Type"] = "floppy",
        }));
        Assert.Contains("Storage:Blobs:Type 'floppy' is unknown (supported: filesystem)", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "d"))); // nothing is created before every setting is checked
    }

    [Theory]
    [InlineData("Registry:UploadSweepInterval", "00:00:00")]
    [InlineData("Registry:UploadExpiry", "-00:01:00")]
    [InlineData("Registry:MaxPageSize", "0")]
    [InlineData("Auth:TokenLifetime", "00:00:10")]
    [InlineData("Jobs:MaxConcurrency", "0")]
    [InlineData("Jobs:LeaseDuration", "00:00:00")]
    public async Task OutOfRangeSetting_FailsAtStartupNamingIt(string key, string value)
    {
        var e = await Assert.ThrowsAsync<ConfigurationException>(async () =>
        {
            await using var app = BollardApplication.Build(null, new Dictionary<string, string?>
            {
                ["Server:Listen"] = "127.0.0.1:0",
                ["Storage:DataDir"] = Path.Combine(_dir, "range"),
                [key] = value,
            }, b => b.SetMinimumLevel(LogLevel.None));
            await app.StartAsync();
        });
        Assert.StartsWith($"{key} '{value}' must be between", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "range")));
    }

    [Theory]
    [InlineData("127.0.0.1:5000", "127.0.0.1:5000")]
    [InlineData("0.0.0.0:80", "0.0.0.0:80")]
    [InlineData("[::1]:5000", "[::1]:5000")]
    [InlineData(":5000", "0.0.0.0:5000")]
    [InlineData("localhost:5000", "127.0.0.1:5000")]
    public void ParseEndpoint_Accepts(string listen, string expected) =>
        Assert.Equal(expected, BollardApplication.ParseEndpoint(listen).ToString());

    [Theory]
    [InlineData("nonsense")]
    [InlineData("127.0.0.1")]
    [InlineData("example.com:5000")]
    public void ParseEndpoint_Rejects(string listen) => Assert.Throws<FormatException>(() => BollardApplication.ParseEndpoint(listen));

    [Theory]
    [InlineData("--config /nonexistent/bollard.yml", "does not exist")]
    [InlineData("--listen nonsense", "--listen 'nonsense'")]
    public async Task Cli_BadSettings_ExitCode2WithMessage(string args, string message)
    {
        var psi = new ProcessStartInfo("dotnet", $"{Path.Combine(AppContext.BaseDirectory, "bollard.dll")} serve --data {Path.Combine(_dir, "cli")} {args}")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string stderr = await process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        Assert.Equal(2, process.ExitCode);
        Assert.Contains(message, stderr);
        Assert.StartsWith("bollard: ", stderr);
    }
}
