using System.Net;
using System.Net.Sockets;

namespace Bollard.IntegrationTests.Cli;

/// <summary>Failures are one line on standard error: exit 1 when the server refuses or cannot be reached, 2 for usage.</summary>
public sealed class CliErrorTests
{
    [Fact]
    public async Task A_wrong_password_fails_the_login_with_the_servers_message_and_stores_nothing()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?>(CliRunner.AuthSettings));
        using var cli = new CliRunner();
        var r = await cli.RunWithAsync("not-the-password\n", null, "login", server.BaseAddress.ToString(), "--username", "admin", "--password-stdin");
        CliRunner.Failed(r, 1, "invalid username or password");
        Assert.Contains("401", r.Stderr);
        Assert.False(File.Exists(cli.ConfigPath));
    }

    [Fact]
    public async Task An_unreachable_server_is_reported_as_such()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        using var cli = new CliRunner();
        string url = $"http://127.0.0.1:{port}";

        var login = await cli.RunWithAsync("some-password-1\n", null, "login", url, "--username", "admin", "--password-stdin");
        CliRunner.Failed(login, 1, $"cannot reach {url}");

        var env = new Dictionary<string, string?> { ["BOLLARD_USER"] = "admin", ["BOLLARD_PASSWORD"] = "some-password-1" };
        var list = await cli.RunWithAsync(null, env, "user", "list", "--server", url);
        CliRunner.Failed(list, 1, $"cannot reach {url}");
        Assert.Single(list.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Usage_and_configuration_errors_exit_with_2_before_anything_is_sent()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?>(CliRunner.AuthSettings));
        using var cli = new CliRunner();
        await cli.LoginAsync(server);

        CliRunner.Failed(await cli.RunAsync("robot", "create", "ci", "--role", "developer", "--namespace", "apps/**", "--expires", "90x"), 2, "--expires '90x'");
        CliRunner.Failed(await cli.RunAsync("token", "create", "t", "--expires", "soon"), 2, "--expires 'soon'");
        CliRunner.Failed(await cli.RunAsync("robot", "create", "ci", "--role", "developer"), 2, "in pairs");
        CliRunner.Failed(await cli.RunAsync("robot", "create", "ci", "--role", "boss", "--namespace", "apps/**"), 2, "--role 'boss'");
        CliRunner.Failed(await cli.RunAsync("binding", "add", "admin", "--role", "reader"), 2, "--namespace");
        CliRunner.Failed(await cli.RunAsync("token", "revoke", "abc"), 2, "'abc' is not a number");
        CliRunner.Failed(await cli.RunAsync("audit", "--since", "last tuesday"), 2, "--since");
        CliRunner.Failed(await cli.RunAsync("audit", "--limit", "5000"), 2, "--limit");
        CliRunner.Failed(await cli.RunAsync("user"), 2, "bollard: ");
        CliRunner.Failed(await cli.RunAsync("user", "create", "x", "--bogus"), 2, "--bogus");
        CliRunner.Failed(await cli.RunWithAsync("", null, "user", "create", "carol", "--password-stdin"), 2, "no password");
        CliRunner.Failed(await cli.RunWithAsync("", null, "user", "create", "carol"), 2, "--password-stdin");

        // Nothing of that reached the server.
        Assert.DoesNotContain("robot$ci", (await cli.RunAsync("robot", "list")).Stdout);

        // Not logged in, and a broken configuration file.
        using var other = new CliRunner();
        CliRunner.Failed(await other.RunAsync("user", "list", "--server", server.BaseAddress.ToString()), 2, "not logged in");
        Directory.CreateDirectory(Path.GetDirectoryName(other.ConfigPath)!);
        await File.WriteAllTextAsync(other.ConfigPath, "{ not json");
        CliRunner.Failed(await other.RunAsync("whoami"), 2, "is not a valid bollard CLI configuration");
        await other.LoginAsync(server); // login replaces a broken file
        CliRunner.Succeeded(await other.RunAsync("whoami"));
    }

    [Fact]
    public async Task A_non_admin_gets_the_servers_refusal()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?>(CliRunner.AuthSettings));
        using var admin = new CliRunner();
        await admin.LoginAsync(server);
        CliRunner.Succeeded(await admin.RunWithAsync("bob-password-123\n", null, "user", "create", "bob", "--password-stdin"));

        using var bob = new CliRunner();
        await bob.LoginAsync(server, "bob", "bob-password-123");
        CliRunner.Failed(await bob.RunAsync("user", "list"), 1, "this needs a registry admin");
        CliRunner.Failed(await bob.RunAsync("robot", "create", "mine", "--role", "admin", "--namespace", "**"), 1, "this needs a registry admin");
        CliRunner.Failed(await bob.RunAsync("binding", "add", "bob", "--role", "admin", "--namespace", "**"), 1, "this needs a registry admin");
        CliRunner.Failed(await bob.RunAsync("namespace", "public", "**"), 1, "this needs a registry admin");
        CliRunner.Failed(await bob.RunWithAsync("new-password-123\n", null, "user", "passwd", "admin", "--password-stdin"), 1, "only an admin may change other users");
        var r = await bob.RunAsync("user", "delete", "admin");
        CliRunner.Failed(r, 1, "this needs a registry admin");
        Assert.Contains("403", r.Stderr);

        // A user deleted on the server: the stored login no longer works, and the CLI says what to do.
        CliRunner.Succeeded(await admin.RunAsync("user", "delete", "bob"));
        CliRunner.Failed(await bob.RunAsync("whoami"), 1, "run 'bollard login' again");
    }
}
