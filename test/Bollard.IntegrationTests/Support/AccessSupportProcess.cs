using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Bollard.IntegrationTests.Support;

/// <summary>
/// The real executable (<c>dotnet bollard.dll serve --listen 127.0.0.1:0 --data DIR</c>) with access control at
/// its default (on), nothing from the runner's environment (<c>BOLLARD__*</c>, <c>BOLLARD_ADMIN_PASSWORD</c>)
/// and every line of standard output and standard error kept, to see what a first start prints.
/// </summary>
public sealed partial class AccessProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<(string Stream, string Line)> _lines = [];
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AccessProcess(Process process) => _process = process;

    public Uri BaseAddress { get; private set; } = null!;

    [GeneratedRegex(@"Bollard listening on http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();

    public static async Task<AccessProcess> StartAsync(string dataDir)
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
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("BOLLARD", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var server = new AccessProcess(process);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data, "out");
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data, "err");
        process.Exited += (_, _) => server._port.TrySetException(new InvalidOperationException("bollard exited during startup"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            int port = await server._port.Task.WaitAsync(TimeSpan.FromSeconds(60));
            server.BaseAddress = new Uri($"http://127.0.0.1:{port}");
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            string output = string.Join('\n', server.Lines.Select(l => $"[{l.Stream}] {l.Line}"));
            await server.DisposeAsync();
            Assert.Fail($"bollard did not start ({e.Message}); its output:\n{output}");
        }
        return server;
    }

    /// <summary>Every line so far, tagged "out" or "err".</summary>
    public IReadOnlyList<(string Stream, string Line)> Lines
    {
        get { lock (_lines) return _lines.ToList(); }
    }

    private void OnLine(string? line, string stream)
    {
        if (line is null) return;
        lock (_lines) _lines.Add((stream, line));
        var match = ListeningLine().Match(line);
        if (match.Success) _port.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
            _process.WaitForExit();
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
