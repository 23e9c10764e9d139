using System.Diagnostics;
using System.Globalization;

namespace Bollard.IntegrationTests.Mirror.Clients;

/// <summary>
/// A long-running daemon (dockerd, containerd) started by a test: its output goes to a log file in its own folder, and
/// it is stopped as a service manager does (SIGTERM, then SIGKILL of its whole tree if it does not exit), after which
/// any mount it left under its folder is detached, so the folder can be deleted.
/// </summary>
internal sealed class DaemonProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly string _root;

    private DaemonProcess(Process process, StreamWriter log, string root, string logPath) => (_process, _log, _root, LogPath) = (process, log, root, logPath);

    public string LogPath { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <param name="root">The daemon's own folder: the log goes there, and mounts under it are detached on stop.</param>
    public static DaemonProcess Start(string file, IEnumerable<string> args, string root, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        string logPath = Path.Combine(root, Path.GetFileName(file) + ".log");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new DaemonProcess(process, log, root, logPath);
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null) return;
        lock (log)
        {
            try { log.WriteLine(line); }
            catch (ObjectDisposedException) { }
        }
    }

    /// <summary>The whole log so far (for an assertion message or a log check).</summary>
    public string ReadLog()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The last <paramref name="lines"/> lines of the log.</summary>
    public string Tail(int lines = 60) => string.Join('\n', ReadLog().Split('\n').TakeLast(lines));

    /// <summary>Sends a signal (<c>HUP</c>: reload the configuration) with kill(1).</summary>
    public async Task SignalAsync(string signal)
    {
        var result = await ExternalTool.RunAsync("kill", ["-" + signal, Pid.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(result.ExitCode == 0, result.Describe());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await ExternalTool.RunAsync("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                _process.WaitForExit(10_000);
            }
        }
        _process.WaitForExit(5_000); // drains the asynchronous readers
        _process.Dispose();
        lock (_log) _log.Dispose();
        await DetachMountsAsync(_root);
    }

    /// <summary>
    /// dockerd bind-mounts its data root onto itself and unmounts it when it stops cleanly; after a SIGKILL the mount
    /// stays. Every mount under <paramref name="root"/> is detached (deepest first) so that nothing outlives the test.
    /// </summary>
    public static async Task DetachMountsAsync(string root)
    {
        string prefix = Path.GetFullPath(root).TrimEnd('/') + "/";
        var mounts = File.ReadAllLines("/proc/self/mountinfo")
            .Select(l => l.Split(' '))
            .Where(f => f.Length > 4)
            .Select(f => f[4].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(m => m.StartsWith(prefix, StringComparison.Ordinal) || m + "/" == prefix)
            .Distinct()
            .OrderByDescending(m => m.Length)
            .ToList();
        foreach (string mount in mounts) await ExternalTool.RunAsync("umount", ["-l", mount]);
    }
}
