namespace Bollard.IntegrationTests.Mirror.Clients;

/// <summary>
/// Real podman (Debian's 4.3), daemonless, with everything of its own under one folder: image store (<c>--root</c>,
/// <c>vfs</c>), run root, tmpdir, and a registries.conf (through <c>CONTAINERS_REGISTRIES_CONF</c>) in which docker.io
/// is mirrored by Bollard with <c>[[registry.mirror]] insecure = true</c>, as a podman host is set up.
/// </summary>
internal sealed class PodmanClient : IDisposable
{
    private readonly string _root = TempDir.Create("bpod-");

    public PodmanClient(string mirrorHostPort)
    {
        ExternalTool.Require("podman");
        File.WriteAllText(RegistriesConf, $"""
            unqualified-search-registries = []

            [[registry]]
            location = "docker.io"

            [[registry.mirror]]
            location = "{mirrorHostPort}"
            insecure = true
            """);
        File.WriteAllText(Path.Combine(_root, "storage.conf"), $"""
            [storage]
            driver = "vfs"
            graphroot = "{Path.Combine(_root, "root")}"
            runroot = "{Path.Combine(_root, "run")}"
            """);
    }

    private string RegistriesConf => Path.Combine(_root, "registries.conf");

    /// <summary><c>podman --root ... ARGS</c>.</summary>
    public Task<ToolResult> RunAsync(params string[] args) =>
        ExternalTool.RunAsync("podman",
        [
            "--root", Path.Combine(_root, "root"),
            "--runroot", Path.Combine(_root, "run"),
            "--tmpdir", Path.Combine(_root, "tmp"),
            "--storage-driver", "vfs",
            "--cgroup-manager", "cgroupfs",
            "--events-backend", "file",
            .. args,
        ], timeout: TimeSpan.FromMinutes(3), environment: new Dictionary<string, string>
        {
            ["CONTAINERS_REGISTRIES_CONF"] = RegistriesConf,
            // Not the machine's storage.conf: its driver options could clash with vfs.
            ["CONTAINERS_STORAGE_CONF"] = Path.Combine(_root, "storage.conf"),
            ["XDG_DATA_HOME"] = Path.Combine(_root, "xdg-data"),
        });

    /// <summary>Removes every image, so that the next pull fetches everything again.</summary>
    public async Task RemoveAllImagesAsync()
    {
        var rmi = await RunAsync("rmi", "--all", "--force");
        Assert.True(rmi.ExitCode == 0, rmi.Describe());
        var left = await RunAsync("images", "--quiet");
        Assert.True(left.ExitCode == 0 && left.Stdout.Trim().Length == 0, $"images left after rmi --all: {left.Describe()}");
    }

    public void Dispose() => TempDir.Delete(_root);
}
