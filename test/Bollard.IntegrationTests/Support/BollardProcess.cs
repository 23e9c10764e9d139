using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Bollard.IntegrationTests.Support;

/// <summary>
/// The real <c>bollard</c> executable as a child process (<c>dotnet bollard.dll serve --listen 127.0.0.1:0 --data DIR</c>):
/// to SIGKILL it like a crashing server, or to see what a first start prints. Nothing from the runner's environment
/// (<c>BOLLARD*</c>) reaches it, only <paramref name="environment"/> of <see cref="StartAsync"/>. Every line of
/// standard output and standard error is kept. The port comes from its startup log line. <see cref="Kill"/> crashes it
/// (SIGKILL), <see cref="StopAsync"/> stops it as a service manager does (SIGTERM).
/// </summary>
public sealed partial class BollardProcess : IAsyncDisposable
{
    private const int RecentLines = 300;
    private readonly Process _process;
    private readonly List<(string Stream, string Line)> _lines = [];
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BollardProcess(Process process) => _process = process;

    public string HostPort { get; private set; } = "";
    public Uri BaseAddress => new($"http://{HostPort}");
    public HttpClient Client { get; private set; } = null!;
    public int Pid => _process.Id;

    [GeneratedRegex(@"Bollard listening on http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();

    /// <summary>The result of <see cref="RunAsync"/>: exit code and everything printed.</summary>
    public sealed record Exited(int ExitCode, string Stdout, string Stderr);

    /// <summary>
    /// Runs <c>bollard ARGS</c> to its end (a command, or a <c>serve</c> expected to fail at startup), with only
    /// <paramref name="environment"/> of the BOLLARD* variables and <paramref name="stdin"/> on standard input.
    /// </summary>
    public static async Task<Exited> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null,
        string? stdin = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "bollard.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("BOLLARD", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        using var process = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        if (stdin is not null) await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"bollard {string.Join(' ', args)} did not exit within 90 s");
        }
        return new Exited(process.ExitCode, await stdout, await stderr);
    }

    public static async Task<BollardProcess> StartAsync(string dataDir, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? startupTimeout = null,
        string? workingDirectory = null)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "bollard.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference src/Bollard");
        var psi = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? dataDir,
        };
        foreach (string a in new[] { dll, "serve", "--listen", "127.0.0.1:0", "--data", dataDir }) psi.ArgumentList.Add(a);
        // Nothing from the test runner's environment (BOLLARD__*, BOLLARD_ADMIN_PASSWORD) may reconfigure the child.
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("BOLLARD", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        // As in BollardServer: the crash and event tests count events and manifests, which scanning would add to.
        psi.Environment["BOLLARD__SCANNING__ENABLED"] = "false";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var server = new BollardProcess(process);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data, "out");
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data, "err");
        process.Exited += (_, _) => server._port.TrySetException(new InvalidOperationException("bollard exited during startup"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        int port;
        try
        {
            port = await server._port.Task.WaitAsync(startupTimeout ?? TimeSpan.FromSeconds(60));
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            string output = server.RecentOutput();
            await server.DisposeAsync();
            Assert.Fail($"bollard did not start ({e.Message}); its output:\n{output}");
            throw;
        }
        server.HostPort = $"127.0.0.1:{port}";
        server.Client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false })
        {
            BaseAddress = new Uri($"http://{server.HostPort}"),
            Timeout = TimeSpan.FromSeconds(60),
        };
        server.Client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("*/*"));
        return server;
    }

    /// <summary>SIGKILL (Process.Kill on Unix): no shutdown code of the server runs.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>
    /// SIGTERM, as a service manager stops the server: the host shuts down gracefully (background services are
    /// stopped and awaited). Waits for the exit and returns its code; fails the test if it does not exit in 60 s.
    /// </summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            var term = await RunToolAsync("kill", "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(term == 0 || _process.HasExited, $"kill -TERM {_process.Id} exited with {term}");
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"bollard (pid {_process.Id}) did not stop within 60 s of SIGTERM; its output:\n{RecentOutput()}");
        }
        return _process.ExitCode;
    }

    private static async Task<int> RunToolAsync(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    /// <summary>Every line so far, tagged "out" or "err".</summary>
    public IReadOnlyList<(string Stream, string Line)> Lines
    {
        get { lock (_lines) return _lines.ToList(); }
    }

    public string RecentOutput()
    {
        lock (_lines) return string.Join('\n', _lines.Skip(Math.Max(0, _lines.Count - RecentLines)).Select(l => $"[{l.Stream}] {l.Line}"));
    }

    private void OnLine(string? line, string stream)
    {
        if (line is null) return;
        lock (_lines) _lines.Add((stream, line));
        var match = ListeningLine().Match(line);
        if (match.Success) _port.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The dotnet host running this test (the SDK sets DOTNET_HOST_PATH), else dotnet from PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }

    public ValueTask DisposeAsync()
    {
        try { Kill(); } catch (InvalidOperationException) { }
        Client?.Dispose();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
