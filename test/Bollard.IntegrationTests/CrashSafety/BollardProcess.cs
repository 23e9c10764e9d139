using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Bollard.IntegrationTests.CrashSafety;

/// <summary>
/// The real <c>bollard</c> executable as a child process (<c>dotnet bollard.dll serve --listen 127.0.0.1:0 --data DIR</c>),
/// so that it can be SIGKILLed like a crashing server. The port comes from its startup log line.
/// </summary>
internal sealed partial class BollardProcess : IAsyncDisposable
{
    private const int KeptLines = 300;
    private readonly Process _process;
    private readonly Queue<string> _output = new();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BollardProcess(Process process) => _process = process;

    public string HostPort { get; private set; } = "";
    public HttpClient Client { get; private set; } = null!;
    public int Pid => _process.Id;

    [GeneratedRegex(@"Bollard listening on http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();

    public static async Task<BollardProcess> StartAsync(string dataDir, TimeSpan? startupTimeout = null)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "bollard.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference src/Bollard");
        var psi = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDir,
        };
        foreach (string a in new[] { dll, "serve", "--listen", "127.0.0.1:0", "--data", dataDir }) psi.ArgumentList.Add(a);
        // Nothing from the test runner's environment may reconfigure the child.
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("BOLLARD__", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        // This test is about storage durability, not access control (which has its own tests).
        psi.Environment["BOLLARD__AUTH__ENABLED"] = "false";

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

    public string RecentOutput()
    {
        lock (_output) return string.Join('\n', _output);
    }

    private void OnLine(string? line, string stream)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.Enqueue($"[{stream}] {line}");
            while (_output.Count > KeptLines) _output.Dequeue();
        }
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
