using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Bollard.IntegrationTests.Cli;

/// <summary>The result of one <c>bollard</c> run.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the real <c>bollard</c> executable (<c>dotnet bollard.dll ...</c>) as a child process, with its own CLI
/// configuration file in a temp folder and nothing from the test runner's BOLLARD* environment.
/// </summary>
internal sealed class CliRunner : IDisposable
{
    public const string AdminPassword = "admin-password-123";

    public static readonly IReadOnlyDictionary<string, string?> AuthSettings = new Dictionary<string, string?>
    {
        ["Auth:Enabled"] = "true",
        ["Auth:AdminPassword"] = AdminPassword,
        ["Auth:PasswordIterations"] = "1000",
    };

    private readonly string _dir = TempDir.Create("bollard-cli-");

    public CliRunner(string? server = null) => Server = server;

    /// <summary>The server URL, for commands given <c>--server</c> by the test.</summary>
    public string? Server { get; }

    public string ConfigPath => Path.Combine(_dir, "config", "cli.json");

    public Task<CliResult> RunAsync(params string[] args) => RunWithAsync(null, null, args);

    public async Task<CliResult> RunWithAsync(string? stdin, IReadOnlyDictionary<string, string?>? env, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "bollard.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference src/Bollard");
        var psi = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _dir,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add(dll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("BOLLARD", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["BOLLARD_CLI_CONFIG"] = ConfigPath;
        psi.Environment["HOME"] = _dir; // nothing may land in the real home folder
        foreach (var (k, v) in env ?? new Dictionary<string, string?>()) psi.Environment[k] = v;

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start bollard");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"bollard {string.Join(' ', args)} did not finish within 90 seconds");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary><c>bollard login SERVER -u USER --password-stdin</c>, asserting success.</summary>
    public async Task LoginAsync(BollardServer server, string user = "admin", string password = AdminPassword)
    {
        var r = await RunWithAsync(password + "\n", null, "login", server.BaseAddress.ToString(), "--username", user, "--password-stdin");
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    public static void Succeeded(CliResult r) => Assert.True(r.ExitCode == 0, r.ToString());

    /// <summary>Failed with <paramref name="exitCode"/> and one line on standard error containing <paramref name="message"/>.</summary>
    public static void Failed(CliResult r, int exitCode, string message)
    {
        Assert.True(r.ExitCode == exitCode, $"expected exit {exitCode}: {r}");
        Assert.Contains(message, r.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("bollard: ", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal); // no stack trace
        Assert.DoesNotContain("Exception", r.Stderr, StringComparison.Ordinal);
    }

    public static HttpRequestMessage Basic(HttpMethod method, string path, string user, string secret)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{secret}")));
        return request;
    }

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }

    public void Dispose() => TempDir.Delete(_dir);
}
