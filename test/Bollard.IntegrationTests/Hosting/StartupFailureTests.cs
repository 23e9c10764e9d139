using System.Net;
using System.Net.Sockets;

namespace Bollard.IntegrationTests.Hosting;

/// <summary>
/// Settings that cannot work end <c>bollard serve</c> with one line per problem that names the setting and where
/// it came from, exit code 2, no stack trace, and nothing created (issue 6, B17, C5, C8).
/// </summary>
public sealed class StartupFailureTests : IDisposable
{
    private readonly string _dir = TempDir.Create("bollard-startfail-");

    public void Dispose() => TempDir.Delete(_dir);

    private string Data => Path.Combine(_dir, "data");

    private static async Task<string> FailsAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        var run = await BollardProcess.RunAsync(args, env);
        Assert.True(run.ExitCode == 2, $"exit code {run.ExitCode}; stderr:\n{run.Stderr}\nstdout:\n{run.Stdout}");
        Assert.StartsWith("bollard: ", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr); // no stack trace
        Assert.DoesNotContain("Unhandled exception", run.Stderr);
        return run.Stderr;
    }

    private string[] Serve(params string[] more) => ["serve", "--listen", "127.0.0.1:0", "--data", Data, .. more];

    [Fact]
    public async Task ReadOnlyDataFolder_NamesTheFlag()
    {
        // /sys is read-only even for root, which the chmod of a temp folder is not.
        string stderr = await FailsAsync(["serve", "--listen", "127.0.0.1:0", "--data", "/sys/kernel"]);
        Assert.Contains("--data: the folder '/sys/kernel' is not writable", stderr);
    }

    [Fact]
    public async Task UnwritableBlobFolder_NamesTheVariable()
    {
        string stderr = await FailsAsync(Serve(), new Dictionary<string, string> { ["BOLLARD__STORAGE__BLOBS__PATH"] = "/sys/kernel" });
        Assert.Contains("BOLLARD__STORAGE__BLOBS__PATH: the folder '/sys/kernel' is not writable", stderr);
    }

    [Fact]
    public async Task PortInUse_NamesTheFlag_AndCreatesNothing()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        string stderr = await FailsAsync(["serve", "--listen", $"127.0.0.1:{port}", "--data", Data]);
        Assert.Contains($"--listen '127.0.0.1:{port}': port {port} is already in use", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(Data));
    }

    [Fact]
    public async Task ShortAdminPassword_FailsBeforeAnythingIsCreated()
    {
        string stderr = await FailsAsync(Serve(), new Dictionary<string, string> { ["BOLLARD_ADMIN_PASSWORD"] = "short" });
        Assert.Contains("BOLLARD_ADMIN_PASSWORD is 5 characters long; the admin password must be 12 to 1024 characters", stderr);
        Assert.DoesNotContain("short", stderr.Replace("5 characters", "", StringComparison.Ordinal)); // the secret is not echoed
        Assert.False(Directory.Exists(Data)); // no database, no admin account with a password nobody saw
    }

    [Fact]
    public async Task InvalidTrustedProxy_NamesTheVariableAndTheEntry()
    {
        string stderr = await FailsAsync(Serve(), new Dictionary<string, string> { ["BOLLARD__SERVER__TRUSTEDPROXIES"] = "10.0.0.1, proxy.example" });
        Assert.Contains("BOLLARD__SERVER__TRUSTEDPROXIES entry 'proxy.example' is neither an IP address", stderr);
        Assert.False(Directory.Exists(Data));
    }

    [Fact]
    public async Task DataIsAFile_SaysSo()
    {
        string file = Path.Combine(_dir, "not-a-folder");
        await File.WriteAllTextAsync(file, "x");
        string stderr = await FailsAsync(["serve", "--listen", "127.0.0.1:0", "--data", file]);
        Assert.Contains($"--data: '{file}' is a file, not a folder", stderr);
    }

    [Fact]
    public async Task MistypedEnvironmentVariable_IsRejectedWithSuggestion()
    {
        string stderr = await FailsAsync(Serve(), new Dictionary<string, string> { ["BOLLARD__SERVER__LISTN"] = "0.0.0.0:5000" });
        Assert.Contains("BOLLARD__SERVER__LISTN is not a setting; did you mean Server:Listen?", stderr);
    }

    [Fact]
    public async Task UnknownYamlKey_NamesFileLineAndSuggestion()
    {
        string config = Path.Combine(_dir, "bollard.yml");
        await File.WriteAllTextAsync(config, "server:\n  listn: 0.0.0.0:5000\n");
        string stderr = await FailsAsync(Serve("--config", config));
        Assert.Contains("server:listn (bollard.yml line 2) is not a setting; did you mean Server:Listen?", stderr);
    }

    [Fact]
    public async Task BadListenFromYaml_BlamesTheFileNotTheFlag()
    {
        string config = Path.Combine(_dir, "bollard.yml");
        await File.WriteAllTextAsync(config, $"server:\n  listen: nonsense\nstorage:\n  dataDir: {Data}\n");
        string stderr = await FailsAsync(["serve", "--config", config]);
        Assert.Contains("Server:Listen (bollard.yml line 2) 'nonsense' is not ADDRESS:PORT", stderr);
        Assert.DoesNotContain("--listen", stderr);
    }

    [Fact]
    public async Task YamlSyntaxError_HasLineAndColumn()
    {
        string config = Path.Combine(_dir, "bollard.yml");
        await File.WriteAllTextAsync(config, "server:\n  listen: 127.0.0.1:0\n storage: x\n");
        string stderr = await FailsAsync(Serve("--config", config));
        Assert.Matches(@"is not valid YAML at line \d+, column \d+: ", stderr);
    }

    [Fact]
    public async Task BadDuration_NamesKeyValueAndAllowedForm()
    {
        string stderr = await FailsAsync(Serve(), new Dictionary<string, string> { ["BOLLARD__REGISTRY__UPLOADEXPIRY"] = "banana" });
        Assert.Contains("BOLLARD__REGISTRY__UPLOADEXPIRY 'banana' is not a duration like 90s, 10m, 12h, 90d (or hh:mm:ss)", stderr);
        Assert.DoesNotContain("System.TimeSpan", stderr);
    }

    [Fact]
    public async Task OutOfRange_NamesKeyAndRange_NotDotnetTypes()
    {
        string stderr = await FailsAsync(Serve(), new Dictionary<string, string> { ["BOLLARD__REGISTRY__MAXPAGESIZE"] = "0" });
        Assert.Contains("BOLLARD__REGISTRY__MAXPAGESIZE '0' must be between 1 and 100000", stderr);
        Assert.DoesNotContain("DataAnnotation", stderr);
    }

    [Fact]
    public async Task ServeUsageError_ExitCode2LikeClientCommands()
    {
        string stderr = await FailsAsync(["serve", "--no-such-flag"]);
        Assert.Contains("--no-such-flag", stderr);
    }
}
