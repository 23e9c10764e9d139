namespace Bollard.IntegrationTests.Cli;

/// <summary>
/// The registry commands of the CLI (<c>bollard sbom docker://</c> here; <c>scan</c>, <c>sign</c> and <c>verify</c>
/// share the lookup) find the credentials a user already gave: the <c>bollard login</c> of that server (its personal
/// access token), and the containers auth file that a real <c>skopeo login</c> writes. Before, both were ignored and
/// the README tour's <c>bollard scan docker://</c> right after <c>bollard login</c> was refused.
/// </summary>
public sealed class CliRegistryLoginTests : IAsyncLifetime
{
    private readonly string _work = TempDir.Create("bollard-cli-reglogin-");
    private AccessServer _access = null!;
    private string _image = "";

    public async Task InitializeAsync()
    {
        _access = await AccessServer.StartAsync();
        await ScanFixtures.PushAsync("alpine", _access.Server.HostPort, "team/app", "1.0", $"{_access.Admin.User}:{_access.Admin.Secret}");
        _image = $"docker://{_access.Server.HostPort}/team/app:1.0";
    }

    public async Task DisposeAsync()
    {
        await _access.DisposeAsync();
        TempDir.Delete(_work);
    }

    /// <summary>An environment with none of the runner's own credentials: an empty docker config, no containers auth file, a private CLI login file.</summary>
    private Dictionary<string, string> Isolated(string name, string? authFile = null)
    {
        string dir = Path.Combine(_work, name);
        Directory.CreateDirectory(Path.Combine(dir, "docker"));
        return new Dictionary<string, string>
        {
            ["BOLLARD_CLI_CONFIG"] = Path.Combine(dir, "cli.json"),
            ["DOCKER_CONFIG"] = Path.Combine(dir, "docker"),
            ["REGISTRY_AUTH_FILE"] = authFile ?? Path.Combine(dir, "no-auth.json"),
        };
    }

    [Fact]
    public async Task Bollard_login_to_the_server_is_used_for_its_images_and_never_for_another_host()
    {
        var env = Isolated("login");
        var anonymous = await BollardProcess.RunAsync(["sbom", _image, "--generate"], env);
        Assert.Equal(1, anonymous.ExitCode);
        Assert.Contains("access denied", anonymous.Stderr, StringComparison.Ordinal);

        var login = await BollardProcess.RunAsync(["login", _access.Server.BaseAddress.ToString().TrimEnd('/'), "-u", "admin", "--password-stdin"], env,
            AccessServer.AdminPassword + "\n");
        Assert.True(login.ExitCode == 0, login.Stderr);

        var sbom = await BollardProcess.RunAsync(["sbom", _image, "--generate"], env);
        Assert.True(sbom.ExitCode == 0, sbom.Stderr);
        Assert.Contains("pkg:apk/alpine/", sbom.Stdout, StringComparison.Ordinal);
        // The login was used as a token (the personal access token), and its secret is never printed.
        await _access.AssertAuditedAsync("admin", "token.issue", "success", where: e => (e.Detail ?? "").Contains("repository:team/app:pull", StringComparison.Ordinal));

        // The same login file does not answer for the same server under another name (localhost:PORT).
        var otherName = await BollardProcess.RunAsync(["sbom", $"docker://localhost:{_access.Server.BaseAddress.Port}/team/app:1.0", "--generate"], env);
        Assert.Equal(1, otherName.ExitCode);
        Assert.Contains("access denied", otherName.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_auth_file_of_a_real_skopeo_login_is_read()
    {
        ExternalTool.Require("skopeo");
        string authFile = Path.Combine(_work, "skopeo-auth.json");
        await ExternalTool.RunCheckedAsync("skopeo", ["login", "--tls-verify=false", "--authfile", authFile, "-u", "admin", "-p", AccessServer.AdminPassword, _access.Server.HostPort]);
        Assert.True(File.Exists(authFile));

        var sbom = await BollardProcess.RunAsync(["sbom", _image, "--generate"], Isolated("skopeo", authFile));
        Assert.True(sbom.ExitCode == 0, sbom.Stderr);
        Assert.Contains("pkg:apk/alpine/", sbom.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(AccessServer.AdminPassword, sbom.Stdout + sbom.Stderr, StringComparison.Ordinal);

        // A docker config entry for the host decides before the containers file, as docker's own lookup would.
        var env = Isolated("docker-first", authFile);
        await File.WriteAllTextAsync(Path.Combine(env["DOCKER_CONFIG"], "config.json"),
            System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["auths"] = new Dictionary<string, object> { [_access.Server.HostPort] = new { auth = Convert.ToBase64String("admin:wrong-password"u8.ToArray()) } },
            }));
        var refused = await BollardProcess.RunAsync(["sbom", _image, "--generate"], env);
        Assert.Equal(1, refused.ExitCode);

        // A broken containers auth file is a clear one-line error naming it.
        string broken = Path.Combine(_work, "broken-auth.json");
        await File.WriteAllTextAsync(broken, "{not json");
        var bad = await BollardProcess.RunAsync(["sbom", _image, "--generate"], Isolated("broken", broken));
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains($"the containers auth file {broken} cannot be read", bad.Stderr, StringComparison.Ordinal);
    }
}
