namespace Bollard.IntegrationTests.Support;

/// <summary>
/// The real images of <c>scripts/scan-fixtures.sh</c> (debootstrap bookworm, npm, dotnet, python, alpine, go) in one
/// OCI layout. <c>scripts/test.sh</c> builds them and exports <c>BOLLARD_SCAN_FIXTURES</c>; a test run without it builds
/// them here (the script is idempotent and cached), so a single test can be run on its own.
/// </summary>
public static class ScanFixtures
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? folder;

    /// <summary>The fixtures folder (it holds <c>oci/</c> and <c>removed-deb</c>).</summary>
    public static async Task<string> FolderAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (folder is not null) return folder;
            string? fromEnv = Environment.GetEnvironmentVariable("BOLLARD_SCAN_FIXTURES");
            if (!string.IsNullOrEmpty(fromEnv) && Directory.Exists(Path.Combine(fromEnv, "oci"))) return folder = fromEnv;
            string script = Path.Combine(RepositoryRoot(), "scripts", "scan-fixtures.sh");
            var built = await ExternalTool.RunCheckedAsync("bash", [script], timeout: TimeSpan.FromMinutes(15));
            return folder = built.Stdout.Trim();
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary><c>oci:FOLDER/oci:TAG</c>, the skopeo transport name of a fixture image.</summary>
    public static async Task<string> OciReferenceAsync(string tag) => $"oci:{Path.Combine(await FolderAsync(), "oci")}:{tag}";

    /// <summary>The dpkg package the <c>bookworm-npm-removed</c> image purges.</summary>
    public static async Task<string> RemovedDebAsync() => (await File.ReadAllTextAsync(Path.Combine(await FolderAsync(), "removed-deb"))).Trim();

    /// <summary>Copies a fixture image into a registry with skopeo (plain HTTP), optionally with credentials.</summary>
    public static async Task PushAsync(string tag, string registryHost, string repository, string? targetTag = null, string? creds = null)
    {
        ExternalTool.Require("skopeo");
        var args = new List<string> { "copy", "--dest-tls-verify=false" };
        if (creds is not null) args.AddRange(["--dest-creds", creds]);
        args.Add(await OciReferenceAsync(tag));
        args.Add($"docker://{registryHost}/{repository}:{targetTag ?? tag}");
        await ExternalTool.RunCheckedAsync("skopeo", args, timeout: TimeSpan.FromMinutes(5));
    }

    /// <summary>The repository root (the folder with <c>Bollard.slnx</c>), from the test assembly's folder.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Bollard.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Bollard.slnx not found above " + AppContext.BaseDirectory);
    }
}
