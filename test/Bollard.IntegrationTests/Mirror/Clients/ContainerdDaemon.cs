using System.Diagnostics;

namespace Bollard.IntegrationTests.Mirror.Clients;

[CollectionDefinition(Name)]
public sealed class ContainerdDaemonGroup : ICollectionFixture<ContainerdDaemon>
{
    public const string Name = "mirror: a real containerd";
}

/// <summary>
/// A real containerd (Debian's 1.6) started for the tests of one collection: its own root, state, socket addresses and
/// config.toml, the CRI plugin off (no Kubernetes here). Pulls go through <c>ctr --hosts-dir</c>, whose hosts.toml is read
/// per pull, so every test points docker.io at its own Bollard without touching the daemon. The <c>native</c>
/// snapshotter unpacks without mounts (overlayfs works here too).
/// </summary>
public sealed class ContainerdDaemon : IAsyncLifetime
{
    private readonly string _root = TempDir.Create("bctd-");
    private DaemonProcess? _daemon;

    private string Socket => Path.Combine(_root, "containerd.sock");

    public async Task InitializeAsync()
    {
        ExternalTool.Require("containerd");
        ExternalTool.Require("ctr");
        string config = Path.Combine(_root, "config.toml");
        await File.WriteAllTextAsync(config, $"""
            version = 2
            root = "{_root}/root"
            state = "{_root}/state"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "{Socket}"
            [ttrpc]
              address = "{Socket}.ttrpc"
            [debug]
              address = "{_root}/debug.sock"
            [metrics]
              address = ""
            [plugins."io.containerd.internal.v1.opt"]
              path = "{_root}/opt"
            """);
        _daemon = DaemonProcess.Start("containerd", ["--config", config], _root);
        var ready = Stopwatch.StartNew();
        while (true)
        {
            if (_daemon.HasExited) Assert.Fail($"containerd exited during startup:\n{_daemon.Tail()}");
            var version = await CtrAsync("version");
            if (version.ExitCode == 0) return;
            if (ready.Elapsed > TimeSpan.FromSeconds(60)) Assert.Fail($"containerd did not answer in 60 s: {version.Describe()}\n{_daemon.Tail()}");
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// A hosts directory for <c>ctr --hosts-dir</c> in which docker.io is mirrored by <paramref name="mirrorHostPort"/>
    /// (plain HTTP) in front of Docker Hub, as a containerd node is set up (containerd adds <c>?ns=docker.io</c>).
    /// </summary>
    public static string WriteHostsDir(string parent, string mirrorHostPort)
    {
        string dir = Path.Combine(parent, "certs.d");
        Directory.CreateDirectory(Path.Combine(dir, "docker.io"));
        File.WriteAllText(Path.Combine(dir, "docker.io", "hosts.toml"), $"""
            server = "https://registry-1.docker.io"

            [host."http://{mirrorHostPort}"]
              capabilities = ["pull", "resolve"]
            """);
        return dir;
    }

    /// <summary><c>ctr --address SOCKET --namespace NS ARGS</c>.</summary>
    public Task<ToolResult> CtrAsync(params string[] args) => CtrInAsync("default", args);

    public Task<ToolResult> CtrInAsync(string ns, params string[] args) =>
        ExternalTool.RunAsync("ctr", ["--address", Socket, "--namespace", ns, .. args], timeout: TimeSpan.FromMinutes(3));

    /// <summary><c>ctr images pull --hosts-dir DIR --snapshotter native REF</c> in namespace <paramref name="ns"/>.</summary>
    public Task<ToolResult> PullAsync(string ns, string hostsDir, string reference) =>
        CtrInAsync(ns, "images", "pull", "--hosts-dir", hostsDir, "--snapshotter", "native", reference);

    /// <summary>Removes every image of <paramref name="ns"/> and collects their content synchronously: the next pull fetches again.</summary>
    public async Task RemoveAllImagesAsync(string ns)
    {
        var list = await CtrInAsync(ns, "images", "ls", "--quiet");
        Assert.True(list.ExitCode == 0, list.Describe());
        string[] refs = list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (refs.Length > 0)
        {
            var rm = await CtrInAsync(ns, ["images", "rm", "--sync", .. refs]);
            Assert.True(rm.ExitCode == 0, rm.Describe());
        }
        var content = await CtrInAsync(ns, "content", "ls", "--quiet");
        Assert.True(content.ExitCode == 0 && content.Stdout.Trim().Length == 0, $"content left after images rm --sync: {content.Describe()}");
    }

    public string LogTail() => _daemon!.Tail();

    public async Task DisposeAsync()
    {
        if (_daemon is not null) await _daemon.DisposeAsync();
        TempDir.Delete(_root);
    }
}
