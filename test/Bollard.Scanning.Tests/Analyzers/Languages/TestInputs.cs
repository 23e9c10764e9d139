using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;

namespace Bollard.Scanning.Tests.Analyzers.Languages;

/// <summary>
/// Real inputs made by real tools (npm install, dotnet publish, go build, javac + jar, apt-get download + dpkg-deb) through
/// <c>make-input.sh</c>, once per kind: kept in the temp folder under a name that includes the script's hash, so later
/// runs reuse them and a changed script makes them anew. A missing tool fails the test with the tool's own error.
/// </summary>
internal static class TestInputs
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> Made = new();

    private static string Script => Path.Combine(AppContext.BaseDirectory, "Analyzers", "Languages", "make-input.sh");

    public static Task<string> GetAsync(string kind) =>
        Made.GetOrAdd(kind, k => new Lazy<Task<string>>(() => MakeAsync(k))).Value;

    private static async Task<string> MakeAsync(string kind)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Script)))[..12];
        string dir = Path.Combine(Path.GetTempPath(), "bollard-scanning-inputs", $"{kind}-{hash}");
        if (File.Exists(Path.Combine(dir, ".done")))
        {
            return dir;
        }

        string work = dir + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        var psi = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(Script);
        psi.ArgumentList.Add(kind);
        psi.ArgumentList.Add(work);
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"make-input.sh {kind} failed ({p.ExitCode}): {await stderr}{await stdout}");
        }

        await File.WriteAllTextAsync(Path.Combine(work, ".done"), kind);
        try
        {
            Directory.Move(work, dir);
        }
        catch (IOException) when (File.Exists(Path.Combine(dir, ".done")))
        {
            // another test process made it first
        }

        return dir;
    }
}
