using System.Diagnostics;
using System.Text;

namespace Bollard.IntegrationTests.Support;

/// <summary>What an external command did: its command line, exit code and both output streams.</summary>
public sealed record ToolResult(string CommandLine, int ExitCode, string Stdout, string Stderr)
{
    /// <summary>A failure message that carries the command, its exit code and its output.</summary>
    public string Describe() => $"`{CommandLine}` exited with {ExitCode}\n--- stderr ---\n{Stderr}\n--- stdout ---\n{Stdout}";
}

/// <summary>Runs real tools (skopeo, umoci) as processes with a timeout; their output goes into assertion messages.</summary>
public static class ExternalTool
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Fails the test (never skips it) when <paramref name="tool"/> is not on PATH.</summary>
    public static void Require(string tool)
    {
        var check = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        check.ArgumentList.Add("-c");
        check.ArgumentList.Add($"command -v {tool}");
        using var p = Process.Start(check)!;
        p.WaitForExit(10_000);
        if (!p.HasExited || p.ExitCode != 0)
            Assert.Fail($"'{tool}' is not installed (command -v {tool} failed). The interop tests need it: run them through " +
                        $"scripts/test.sh, which installs it (apt-get install {tool}), or install it yourself.");
    }

    /// <summary>Runs the command and returns what it did, whatever its exit code. Fails the test on timeout.</summary>
    public static async Task<ToolResult> RunAsync(string file, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        string commandLine = file + " " + string.Join(' ', psi.ArgumentList.Select(a => a.Contains(' ') ? $"'{a}'" : a));

        using var process = new Process { StartInfo = psi };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            Assert.Fail($"`{commandLine}` did not finish within {(timeout ?? DefaultTimeout).TotalSeconds}s\n--- stderr ---\n{stderr}\n--- stdout ---\n{stdout}");
        }
        process.WaitForExit(); // drains the asynchronous readers
        lock (stdout) lock (stderr)
            return new ToolResult(commandLine, process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs the command and asserts that it exited with 0; the assertion message carries its stderr.</summary>
    public static async Task<ToolResult> RunCheckedAsync(string file, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = await RunAsync(file, args, workingDirectory, timeout, environment).ConfigureAwait(false);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }
}
