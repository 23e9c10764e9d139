using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Bollard.IntegrationTests.Cli;

/// <summary>The <c>bollard</c> management commands against a real server with access control on.</summary>
public sealed partial class CliWorkflowTests
{
    [GeneratedRegex(@"^Secret:\s+(brs_\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex SecretLine();

    [GeneratedRegex(@"^Token:\s+(bpat_\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex TokenLine();

    [Fact]
    public async Task Login_stores_a_token_not_the_password_and_whoami_uses_it()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?>(CliRunner.AuthSettings));
        using var cli = new CliRunner();

        var login = await cli.RunWithAsync(CliRunner.AdminPassword + "\n", null, "login", server.BaseAddress.ToString(), "--username", "admin", "--password-stdin");
        CliRunner.Succeeded(login);
        Assert.Contains("Logged in to", login.Stdout);

        string config = await File.ReadAllTextAsync(cli.ConfigPath);
        Assert.DoesNotContain(CliRunner.AdminPassword, config);
        using (var doc = JsonDocument.Parse(config))
        {
            Assert.StartsWith("bpat_", doc.RootElement.GetProperty("token").GetString());
            Assert.Equal("admin", doc.RootElement.GetProperty("username").GetString());
        }
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cli.ConfigPath));

        var whoami = await cli.RunAsync("whoami");
        CliRunner.Succeeded(whoami);
        Assert.Contains("admin (user, registry admin)", whoami.Stdout);

        var json = await cli.RunAsync("whoami", "--json");
        CliRunner.Succeeded(json);
        using (var doc = JsonDocument.Parse(json.Stdout))
        {
            Assert.Equal("admin", doc.RootElement.GetProperty("name").GetString());
            Assert.True(doc.RootElement.GetProperty("admin").GetBoolean());
        }

        // The login's token is listed under the name "bollard-cli"; logout revokes it and forgets it.
        var tokens = await cli.RunAsync("token", "list");
        CliRunner.Succeeded(tokens);
        Assert.Contains("bollard-cli", tokens.Stdout);
        string token = JsonDocument.Parse(config).RootElement.GetProperty("token").GetString()!;

        var logout = await cli.RunAsync("logout");
        CliRunner.Succeeded(logout);
        Assert.False(File.Exists(cli.ConfigPath));
        using (var me = await server.Client.SendAsync(CliRunner.Basic(HttpMethod.Get, "/api/v1/me", "admin", token)))
            Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);

        CliRunner.Failed(await cli.RunAsync("whoami"), 2, "no server");
    }

    [Fact]
    public async Task Users_can_be_created_listed_deleted_and_change_their_password()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?>(CliRunner.AuthSettings));
        using var admin = new CliRunner();
        await admin.LoginAsync(server);

        CliRunner.Succeeded(await admin.RunWithAsync("bob-password-123\n", null, "user", "create", "bob", "--password-stdin"));
        CliRunner.Succeeded(await admin.RunWithAsync("root-password-123\n", null, "user", "create", "root2", "--admin", "--password-stdin"));

        var list = await admin.RunAsync("user", "list");
        CliRunner.Succeeded(list);
        Assert.Matches(@"(?m)^NAME\s+ADMIN\s+CREATED\s*$", list.Stdout);
        Assert.Matches(@"(?m)^bob\s+no\s+", list.Stdout);
        Assert.Matches(@"(?m)^root2\s+yes\s+", list.Stdout);

        var json = await admin.RunAsync("user", "list", "--json");
        CliRunner.Succeeded(json);
        using (var doc = JsonDocument.Parse(json.Stdout))
            Assert.Equal(["admin", "bob", "root2"], doc.RootElement.EnumerateArray().Select(u => u.GetProperty("name").GetString()!).Order().ToArray());

        // bob changes his own password: the current one first, then the new one.
        using (var bob = new CliRunner())
        {
            await bob.LoginAsync(server, "bob", "bob-password-123");
            CliRunner.Failed(await bob.RunWithAsync("wrong-password-1\nbob-password-456\n", null, "user", "passwd", "--password-stdin"), 1, "current password");
            CliRunner.Succeeded(await bob.RunWithAsync("bob-password-123\nbob-password-456\n", null, "user", "passwd", "--password-stdin"));
        }
        using (var me = await server.Client.SendAsync(CliRunner.Basic(HttpMethod.Get, "/api/v1/me", "bob", "bob-password-456")))
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);

        // An admin sets someone else's password with one line.
        CliRunner.Succeeded(await admin.RunWithAsync("bob-password-789\n", null, "user", "passwd", "bob", "--password-stdin"));
        using (var me = await server.Client.SendAsync(CliRunner.Basic(HttpMethod.Get, "/api/v1/me", "bob", "bob-password-789")))
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);

        CliRunner.Succeeded(await admin.RunAsync("user", "delete", "bob"));
        var after = await admin.RunAsync("user", "list");
        Assert.DoesNotMatch(@"(?m)^bob\s", after.Stdout);
        CliRunner.Failed(await admin.RunAsync("user", "delete", "bob"), 1, "no user 'bob'");
    }

    [Fact]
    public async Task A_robot_created_by_the_cli_can_log_in_and_push_until_it_is_deleted()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?>(CliRunner.AuthSettings));
        using var cli = new CliRunner();
        await cli.LoginAsync(server);

        var created = await cli.RunAsync("robot", "create", "ci-builder", "--role", "developer", "--namespace", "apps/**",
            "--role", "reader", "--namespace", "base/**", "--expires", "90d", "--description", "the CI");
        CliRunner.Succeeded(created);
        var secret = SecretLine().Match(created.Stdout);
        Assert.True(secret.Success, created.ToString());
        Assert.Contains("Username: robot$ci-builder", created.Stdout);
        Assert.Contains("only this once", created.Stdout);
        Assert.Contains($"docker login {server.HostPort} --username 'robot$ci-builder' --password-stdin", created.Stdout);

        // The secret works at the token endpoint and the token lets the robot push to apps/**.
        string token = await TokenAsync(server, "robot$ci-builder", secret.Groups[1].Value, "repository:apps/web:pull,push");
        using (var upload = new HttpRequestMessage(HttpMethod.Post, "/v2/apps/web/blobs/uploads/"))
        {
            upload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await server.Client.SendAsync(upload);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var list = await cli.RunAsync("robot", "list");
        CliRunner.Succeeded(list);
        Assert.Matches(@"(?m)^robot\$ci-builder\s+\d{4}-\d\d-\d\d .*admin\s+the CI\s*$", list.Stdout);

        var bindings = await cli.RunAsync("binding", "list");
        Assert.Matches(@"(?m)^\d+\s+robot\$ci-builder\s+robot\s+developer\s+apps/\*\*\s", bindings.Stdout);
        Assert.Matches(@"(?m)^\d+\s+robot\$ci-builder\s+robot\s+reader\s+base/\*\*\s", bindings.Stdout);

        CliRunner.Succeeded(await cli.RunAsync("robot", "delete", "ci-builder"));
        using (var request = CliRunner.Basic(HttpMethod.Get, "/auth/token?service=bollard&scope=repository:apps/web:pull", "robot$ci-builder", secret.Groups[1].Value))
        using (var response = await server.Client.SendAsync(request))
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        var json = await cli.RunAsync("robot", "create", "other", "--json");
        CliRunner.Succeeded(json);
        using (var doc = JsonDocument.Parse(json.Stdout))
            Assert.StartsWith("brs_", doc.RootElement.GetProperty("secret").GetString());
    }

    [Fact]
    public async Task Tokens_can_be_created_used_and_revoked()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?>(CliRunner.AuthSettings));
        using var cli = new CliRunner();
        await cli.LoginAsync(server);

        var created = await cli.RunAsync("token", "create", "laptop", "--expires", "30d");
        CliRunner.Succeeded(created);
        var token = TokenLine().Match(created.Stdout);
        Assert.True(token.Success, created.ToString());
        var id = Regex.Match(created.Stdout, @"\(id (\d+), expires \d{4}-");
        Assert.True(id.Success, created.ToString());

        // Usable as the password, also through the CLI's environment credentials.
        var viaEnv = await cli.RunWithAsync(null, new Dictionary<string, string?> { ["BOLLARD_USER"] = "admin", ["BOLLARD_TOKEN"] = token.Groups[1].Value, ["BOLLARD_CLI_CONFIG"] = cli.ConfigPath + ".none" },
            "whoami", "--server", server.BaseAddress.ToString());
        CliRunner.Succeeded(viaEnv);
        Assert.Contains("admin (user, registry admin)", viaEnv.Stdout);

        var list = await cli.RunAsync("token", "list");
        Assert.Matches($@"(?m)^{id.Groups[1].Value}\s+laptop\s+\d{{4}}-", list.Stdout);
        Assert.Matches(@"(?m)^\d+\s+bollard-cli\s+never\s", list.Stdout);

        CliRunner.Succeeded(await cli.RunAsync("token", "revoke", id.Groups[1].Value));
        using (var me = await server.Client.SendAsync(CliRunner.Basic(HttpMethod.Get, "/api/v1/me", "admin", token.Groups[1].Value)))
            Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        Assert.DoesNotContain("laptop", (await cli.RunAsync("token", "list")).Stdout);
        CliRunner.Failed(await cli.RunAsync("token", "revoke", id.Groups[1].Value), 1, $"no token {id.Groups[1].Value}");
    }

    [Fact]
    public async Task Bindings_namespaces_and_the_audit_log()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?>(CliRunner.AuthSettings));
        using var cli = new CliRunner();
        await cli.LoginAsync(server);
        CliRunner.Succeeded(await cli.RunWithAsync("bob-password-123\n", null, "user", "create", "bob", "--password-stdin"));

        var added = await cli.RunAsync("binding", "add", "bob", "--role", "maintainer", "--namespace", "team-a/**");
        CliRunner.Succeeded(added);
        var id = Regex.Match(added.Stdout, @"\(binding (\d+)\)");
        Assert.True(id.Success, added.ToString());
        var list = await cli.RunAsync("binding", "list");
        Assert.Matches($@"(?m)^{id.Groups[1].Value}\s+bob\s+user\s+maintainer\s+team-a/\*\*\s", list.Stdout);

        // bob sees the binding as his own.
        var bobEnv = new Dictionary<string, string?> { ["BOLLARD_USER"] = "bob", ["BOLLARD_PASSWORD"] = "bob-password-123", ["BOLLARD_SERVER"] = server.BaseAddress.ToString() };
        using (var bob = new CliRunner())
        {
            var whoami = await bob.RunWithAsync(null, bobEnv, "whoami");
            CliRunner.Succeeded(whoami);
            Assert.Matches(@"(?m)^maintainer\s+team-a/\*\*\s*$", whoami.Stdout);
        }

        CliRunner.Succeeded(await cli.RunAsync("binding", "remove", id.Groups[1].Value));
        Assert.DoesNotContain("team-a/**", (await cli.RunAsync("binding", "list")).Stdout);

        CliRunner.Succeeded(await cli.RunAsync("namespace", "public", "public/**"));
        var open = await cli.RunAsync("namespace", "list-public");
        Assert.Matches(@"(?m)^public/\*\*\s*$", open.Stdout);
        using (var anonymous = new CliRunner())
        {
            var publicJson = await anonymous.RunAsync("namespace", "list-public", "--json", "--server", server.BaseAddress.ToString());
            CliRunner.Succeeded(publicJson);
            using var doc = JsonDocument.Parse(publicJson.Stdout);
            Assert.Equal(["public/**"], doc.RootElement.GetProperty("namespaces").EnumerateArray().Select(e => e.GetString()!).ToArray());
        }
        using (var pull = await server.Client.GetAsync("/auth/token?service=bollard&scope=repository:public/x:pull"))
            Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        CliRunner.Succeeded(await cli.RunAsync("namespace", "private", "public/**"));
        Assert.DoesNotContain("public/**", (await cli.RunAsync("namespace", "list-public")).Stdout);

        var audit = await cli.RunAsync("audit");
        CliRunner.Succeeded(audit);
        foreach (string action in new[] { "user.create", "binding.create", "binding.delete", "namespace.public", "namespace.private", "token.create" })
            Assert.Matches($@"(?m)^\d+\s+\S+ \S+\s+admin\s+{Regex.Escape(action)}\s+success\s", audit.Stdout);

        var filtered = await cli.RunAsync("audit", "--action", "namespace.public", "--since", "1h", "--json");
        CliRunner.Succeeded(filtered);
        using (var doc = JsonDocument.Parse(filtered.Stdout))
        {
            var events = doc.RootElement.GetProperty("events").EnumerateArray().ToList();
            var only = Assert.Single(events);
            Assert.Equal("public/**", only.GetProperty("reference").GetString());
            Assert.Equal("admin", only.GetProperty("principal").GetString());
        }

        var limited = await cli.RunAsync("audit", "--limit", "1", "--principal", "admin", "--outcome", "success");
        CliRunner.Succeeded(limited);
        Assert.Equal(2, limited.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // header + 1 event
        Assert.Contains("--before", limited.Stderr);
    }

    private static async Task<string> TokenAsync(BollardServer server, string user, string secret, string scope)
    {
        using var request = CliRunner.Basic(HttpMethod.Get, $"/auth/token?service=bollard&scope={Uri.EscapeDataString(scope)}", user, secret);
        using var response = await server.Client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        string token = JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;
        // The grant really includes push on the repository.
        string payload = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
        string claims = Encoding.UTF8.GetString(Convert.FromBase64String(payload));
        Assert.Contains("\"push\"", claims);
        return token;
    }
}
