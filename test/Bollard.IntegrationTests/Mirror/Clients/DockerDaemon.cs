using System.Diagnostics;
using System.Text.Json;

namespace Bollard.IntegrationTests.Mirror.Clients;

[CollectionDefinition(Name)]
public sealed class DockerDaemonGroup : ICollectionFixture<DockerDaemon>
{
    public const string Name = "mirror: a real Docker daemon";
}

/// <summary>
/// A real Docker daemon (Debian's <c>docker.io</c>: dockerd 20.10) started for the tests of one collection, with its own
/// data root, exec root, pidfile, unix socket and <c>daemon.json</c>, and no effect on the machine's network
/// (<c>--iptables=false --ip-forward=false --bridge=none</c>). Storage is <c>vfs</c>: overlay2 works here too, but
/// vfs leaves no mount behind when a run is killed. The tests only pull (no container runs). Each test points
/// <c>registry-mirrors</c> at its own Bollard with <see cref="UseMirrorAsync"/>: dockerd reloads daemon.json on SIGHUP.
/// </summary>
public sealed class DockerDaemon : IAsyncLifetime
{
    // Short: a unix socket path is limited to 108 bytes.
    private readonly string _root = TempDir.Create("bdock-");
    private DaemonProcess? _daemon;

    public string Socket => Path.Combine(_root, "docker.sock");

    private string ConfigFile => Path.Combine(_root, "daemon.json");

    public async Task InitializeAsync()
    {
        ExternalTool.Require("dockerd");
        ExternalTool.Require("docker");
        WriteConfig(null);
        _daemon = DaemonProcess.Start("dockerd",
        [
            "--data-root", Path.Combine(_root, "data"),
            "--exec-root", Path.Combine(_root, "exec"),
            "--pidfile", Path.Combine(_root, "docker.pid"),
            "--host", "unix://" + Socket,
            "--config-file", ConfigFile,
            "--storage-driver=vfs",
            "--iptables=false", "--ip-forward=false", "--ip-masq=false", "--bridge=none",
        ], _root);
        var ready = Stopwatch.StartNew();
        while (true)
        {
            if (_daemon.HasExited) Assert.Fail($"dockerd exited during startup:\n{_daemon.Tail()}");
            var version = await RunAsync("version", "--format", "{{.Server.Version}}");
            if (version.ExitCode == 0) return;
            if (ready.Elapsed > TimeSpan.FromSeconds(90)) Assert.Fail($"dockerd did not answer in 90 s: {version.Describe()}\n{_daemon.Tail()}");
            await Task.Delay(250);
        }
    }

    /// <summary>Points <c>registry-mirrors</c> at <paramref name="hostPort"/> (plain HTTP) and waits until the daemon uses it.</summary>
    public async Task UseMirrorAsync(string hostPort)
    {
        WriteConfig(hostPort);
        await _daemon!.SignalAsync("HUP");
        var wait = Stopwatch.StartNew();
        string expected = $"http://{hostPort}/";
        while (true)
        {
            var info = await RunAsync("info", "--format", "{{json .RegistryConfig.Mirrors}}");
            if (info.ExitCode == 0 && JsonSerializer.Deserialize<string[]>(info.Stdout.Trim()) is { } mirrors && mirrors.Contains(expected)) return;
            if (wait.Elapsed > TimeSpan.FromSeconds(30)) Assert.Fail($"dockerd did not take registry-mirrors {expected}: {info.Describe()}\n{_daemon.Tail()}");
            await Task.Delay(100);
        }
    }

    private void WriteConfig(string? mirror)
    {
        object config = mirror is null
            ? new Dictionary<string, object>()
            : new Dictionary<string, object> { ["registry-mirrors"] = new[] { $"http://{mirror}" }, ["insecure-registries"] = new[] { mirror } };
        File.WriteAllText(ConfigFile, JsonSerializer.Serialize(config));
    }

    /// <summary><c>docker -H unix://SOCKET ARGS</c>, with a CLI config folder of its own.</summary>
    public Task<ToolResult> RunAsync(params string[] args) =>
        ExternalTool.RunAsync("docker", ["-H", "unix://" + Socket, .. args], timeout: TimeSpan.FromMinutes(3),
            environment: new Dictionary<string, string> { ["DOCKER_CONFIG"] = Path.Combine(_root, "cli") });

    /// <summary>Removes every image the daemon has, so that the next pull fetches everything again.</summary>
    public async Task RemoveAllImagesAsync()
    {
        var ids = await RunAsync("images", "--all", "--quiet", "--no-trunc");
        Assert.True(ids.ExitCode == 0, ids.Describe());
        string[] all = ids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();
        if (all.Length > 0)
        {
            var rmi = await RunAsync(["rmi", "--force", .. all]);
            Assert.True(rmi.ExitCode == 0, rmi.Describe());
        }
        var left = await RunAsync("images", "--all", "--quiet");
        Assert.True(left.ExitCode == 0 && left.Stdout.Trim().Length == 0, $"images left after rmi: {left.Describe()}");
    }

    /// <summary>The daemon's log, where it records why a mirror was not used ("Attempting next endpoint").</summary>
    public string Log() => _daemon!.ReadLog();

    public string LogTail() => _daemon!.Tail();

    public async Task DisposeAsync()
    {
        if (_daemon is not null) await _daemon.DisposeAsync();
        TempDir.Delete(_root);
    }
}
