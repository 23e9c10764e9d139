using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bollard.Benchmarks;

/// <summary>
/// Cold start and idle memory of a server: starts the command, polls <c>GET path</c> on the port with a raw socket
/// every 2 ms (no HttpClient, so the client's own JIT is not in the figure) until any HTTP status line comes back,
/// then lets the server sit idle and reads its memory from <c>/proc</c>, then stops it with SIGTERM.
/// </summary>
internal static class StartTime
{
    public static async Task<string> MeasureAsync(IPEndPoint endpoint, string path, TimeSpan timeout, TimeSpan idle, string[] command)
    {
        byte[] request = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {endpoint}\r\nConnection: close\r\n\r\n");
        await TryGetAsync(endpoint, request).ConfigureAwait(false); // warm the client's refused-connection path
        var psi = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in command[1..]) psi.ArgumentList.Add(arg);

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi) ?? throw new BenchException($"could not start {command[0]}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            double firstAnswerMs;
            while (true)
            {
                if (await TryGetAsync(endpoint, request).ConfigureAwait(false))
                {
                    firstAnswerMs = clock.Elapsed.TotalMilliseconds;
                    break;
                }
                if (process.HasExited) throw new BenchException($"{command[0]} exited with {process.ExitCode} before answering");
                if (clock.Elapsed > timeout) throw new BenchException($"no answer on {endpoint}{path} within {timeout.TotalSeconds} s");
                await Task.Delay(2).ConfigureAwait(false);
            }
            double cpuAtAnswer = CpuSeconds(process.Id);
            await Task.Delay(idle).ConfigureAwait(false);
            var status = ProcFields($"/proc/{process.Id}/status");
            var rollup = ProcFields($"/proc/{process.Id}/smaps_rollup");
            return FormattableString.Invariant(
                $"first_answer_ms={firstAnswerMs:F1} cpu_to_answer_s={cpuAtAnswer:F3} idle_rss_mib={Mib(status, "VmRSS")} idle_pss_mib={Mib(rollup, "Pss")} idle_anon_mib={Mib(rollup, "Anonymous")} threads={status.GetValueOrDefault("Threads", "?")}");
        }
        finally
        {
            if (!process.HasExited)
            {
                // SIGTERM, so the server shuts down as it would under a service manager
                using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
                if (!process.WaitForExit(TimeSpan.FromSeconds(20))) process.Kill(entireProcessTree: true);
            }
            process.WaitForExit();
        }
    }

    /// <summary>True when the server answered with any HTTP status line.</summary>
    private static async Task<bool> TryGetAsync(IPEndPoint endpoint, byte[] request)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(endpoint, cts.Token).ConfigureAwait(false);
            await socket.SendAsync(request, SocketFlags.None, cts.Token).ConfigureAwait(false);
            var buffer = new byte[16];
            int n = 0;
            while (n < 5)
            {
                int read = await socket.ReceiveAsync(buffer.AsMemory(n), SocketFlags.None, cts.Token).ConfigureAwait(false);
                if (read == 0) return false;
                n += read;
            }
            return buffer.AsSpan(0, 5).SequenceEqual("HTTP/"u8);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static double CpuSeconds(int pid)
    {
        // /proc/PID/stat: fields 14 and 15 (utime, stime) in clock ticks; the command name (2) may hold spaces.
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
        return ticks / 100.0; // CLK_TCK is 100 on Linux x86_64 and arm64
    }

    private static Dictionary<string, string> ProcFields(string file) =>
        File.ReadAllLines(file)
            .Select(l => l.Split(':', 2))
            .Where(p => p.Length == 2)
            .GroupBy(p => p[0].Trim())
            .ToDictionary(g => g.Key, g => g.First()[1].Trim());

    private static string Mib(Dictionary<string, string> fields, string key) =>
        fields.TryGetValue(key, out string? v) && long.TryParse(v.Split(' ')[0], CultureInfo.InvariantCulture, out long kb)
            ? (kb / 1024.0).ToString("F1", CultureInfo.InvariantCulture)
            : "?";
}
