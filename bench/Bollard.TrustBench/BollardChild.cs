using System.Diagnostics;

namespace Bollard.TrustBench;

/// <summary><c>dotnet bollard.dll serve</c> on a port and data folder, access control and admission authentication off; killed on dispose.</summary>
internal sealed class BollardChild : IDisposable
{
    private readonly Process _process;

    private BollardChild(Process process) => _process = process;

    public static async Task<BollardChild> StartAsync(string bollardDll, string data, int port, IReadOnlyList<(string Name, string Value)> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { bollardDll, "serve", "--data", data, "--listen", $"127.0.0.1:{port}" }) start.ArgumentList.Add(a);
        start.Environment["BOLLARD__Auth__Enabled"] = "false";
        start.Environment["BOLLARD__Admission__Authentication"] = "None";
        start.Environment["BOLLARD__Scanning__Enabled"] = "false";
        start.Environment["BOLLARD__Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in environment) start.Environment[name] = value;
        var process = Process.Start(start) ?? throw new BenchFailedException("dotnet did not start");
        string log = Path.Combine(data, $"bollard-{port}-{process.Id}.log");
        var writer = TextWriter.Synchronized(new StreamWriter(log) { AutoFlush = true });
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) writer.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) writer.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var child = new BollardChild(process);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (process.HasExited)
            {
                child.Dispose();
                throw new BenchFailedException($"bollard serve exited with {process.ExitCode}; log {log}");
            }
            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/v2/")).ConfigureAwait(false);
                if (response.IsSuccessStatusCode) return child;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200).ConfigureAwait(false);
        }
        child.Dispose();
        throw new BenchFailedException($"bollard serve did not answer /v2/ in 90 s; log {log}");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }
}
