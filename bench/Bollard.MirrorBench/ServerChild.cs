using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Bollard.MirrorBench;

/// <summary>
/// A registry as a child process on a loopback port (<c>bollard serve</c> or Debian's <c>docker-registry</c>), its output
/// in a log file in its data folder; ready when <c>GET /v2/</c> answers; killed (whole tree) on dispose.
/// </summary>
internal sealed class ServerChild : IDisposable
{
    private readonly Process _process;

    private ServerChild(Process process, string name, int port) => (_process, Name, Port) = (process, name, port);

    public string Name { get; }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public int Pid => _process.Id;

    /// <summary><c>dotnet bollard.dll serve</c>: access control, scanning and request logging off (as docker-registry's below).</summary>
    public static Task<ServerChild> StartBollardAsync(string bollardDll, string data, IReadOnlyList<(string Name, string Value)> environment)
    {
        int port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { bollardDll, "serve", "--data", data, "--listen", $"127.0.0.1:{port}" }) start.ArgumentList.Add(a);
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("BOLLARD", StringComparison.Ordinal)).ToList()) start.Environment.Remove(key);
        start.Environment["BOLLARD__Auth__Enabled"] = "false";
        start.Environment["BOLLARD__Scanning__Enabled"] = "false";
        start.Environment["BOLLARD__Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return StartAsync(start, "bollard", data, port);
    }

    /// <summary><c>docker-registry serve</c> with filesystem storage in <paramref name="data"/>, log level error and no access log.</summary>
    public static Task<ServerChild> StartDockerRegistryAsync(string data)
    {
        int port = FreePort();
        string config = Path.Combine(data, "config.yml");
        File.WriteAllText(config, $"version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {data}/storage\nhttp:\n  addr: 127.0.0.1:{port}\n");
        var start = new ProcessStartInfo("docker-registry") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(config);
        return StartAsync(start, "docker-registry", data, port);
    }

    private static async Task<ServerChild> StartAsync(ProcessStartInfo start, string name, string data, int port)
    {
        var process = Process.Start(start) ?? throw new BenchFailedException($"{name} did not start");
        string log = Path.Combine(data, $"{name}-{port}.log");
        var writer = TextWriter.Synchronized(new StreamWriter(log) { AutoFlush = true });
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) writer.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) writer.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var child = new ServerChild(process, name, port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (process.HasExited)
            {
                child.Dispose();
                throw new BenchFailedException($"{name} exited with {process.ExitCode}; log {log}");
            }
            try
            {
                using var response = await http.GetAsync(new Uri(child.BaseAddress, "/v2/")).ConfigureAwait(false);
                if (response.StatusCode is HttpStatusCode.OK) return child;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200).ConfigureAwait(false);
        }
        child.Dispose();
        throw new BenchFailedException($"{name} did not answer /v2/ in 90 s; log {log}");
    }

    /// <summary>User+system CPU seconds the process has used so far (/proc/PID/stat).</summary>
    /// <summary>User and system CPU seconds of the process so far (/proc/PID/stat utime, stime; 10 ms ticks).</summary>
    public (double User, double System) CpuSplit()
    {
        string stat = File.ReadAllText($"/proc/{Pid}/stat");
        string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(f[11], CultureInfo.InvariantCulture) / 100.0, long.Parse(f[12], CultureInfo.InvariantCulture) / 100.0);
    }

    public double CpuSeconds()
    {
        string stat = File.ReadAllText($"/proc/{Pid}/stat");
        string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
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
