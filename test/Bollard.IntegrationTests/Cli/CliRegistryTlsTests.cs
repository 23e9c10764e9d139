namespace Bollard.IntegrationTests.Cli;

/// <summary>
/// The registry commands (<c>bollard sbom docker://</c> here; <c>scan</c>, <c>sign</c> and <c>verify</c> share the
/// lookup) against a self-signed HTTPS Bollard on loopback: trusted through <c>--ca-cert</c>, through the
/// <c>bollard login --ca-cert</c> of that server, or through the containers <c>certs.d/HOST/*.crt</c> folder that skopeo
/// and podman read. Before, a loopback registry always got plain HTTP and no trust could be given.
/// </summary>
public sealed class CliRegistryTlsTests : IAsyncLifetime
{
    private readonly string _work = TempDir.Create("bollard-cli-regtls-");
    private BollardServer _server = null!;
    private string _cert = "";
    private string _image = "";

    public async Task InitializeAsync()
    {
        (_cert, string key) = SelfSignedCertificate.Write(_work);
        _server = await BollardServer.StartAsync(new Dictionary<string, string?>(CliRunner.AuthSettings)
        {
            ["Server:TlsCertificate"] = _cert,
            ["Server:TlsKey"] = key,
        });
        // skopeo with --dest-tls-verify=false speaks HTTPS to it (it tries HTTPS first).
        await ScanFixtures.PushAsync("alpine", _server.HostPort, "team/app", "1.0", $"admin:{CliRunner.AdminPassword}");
        _image = $"docker://{_server.HostPort}/team/app:1.0";
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        TempDir.Delete(_work);
    }

    /// <summary>No credentials or trust of the runner: empty docker config, no auth file, a private login file and config home.</summary>
    private Dictionary<string, string> Isolated(string name)
    {
        string dir = Path.Combine(_work, name);
        Directory.CreateDirectory(Path.Combine(dir, "docker"));
        Directory.CreateDirectory(Path.Combine(dir, "config"));
        return new Dictionary<string, string>
        {
            ["BOLLARD_CLI_CONFIG"] = Path.Combine(dir, "cli.json"),
            ["DOCKER_CONFIG"] = Path.Combine(dir, "docker"),
            ["REGISTRY_AUTH_FILE"] = Path.Combine(dir, "no-auth.json"),
            ["XDG_CONFIG_HOME"] = Path.Combine(dir, "config"),
        };
    }

    private string[] Sbom(params string[] extra) => ["sbom", _image, "--generate", "-u", "admin", "-p", CliRunner.AdminPassword, .. extra];

    private static void Succeeded(BollardProcess.Exited r)
    {
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("pkg:apk/alpine/", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ca_cert_flag_is_trusted_and_another_ca_is_not()
    {
        var env = Isolated("flag");
        Succeeded(await BollardProcess.RunAsync(Sbom("--ca-cert", _cert), env));

        // A certificate of another self-signed server is no trust for this one: a TLS error, nothing scanned.
        string otherDir = Path.Combine(_work, "other-ca");
        Directory.CreateDirectory(otherDir);
        var (otherCert, _) = SelfSignedCertificate.Write(otherDir);
        var wrong = await BollardProcess.RunAsync(Sbom("--ca-cert", otherCert), env);
        Assert.Equal(1, wrong.ExitCode);
        Assert.DoesNotContain("pkg:apk/", wrong.Stdout, StringComparison.Ordinal);
        Assert.Contains("TLS certificate is not trusted: give --ca-cert FILE", wrong.Stderr, StringComparison.Ordinal);

        // No trust given: plain HTTP to the loopback TLS port, and the error says what to do.
        var none = await BollardProcess.RunAsync(Sbom(), env);
        Assert.Equal(1, none.ExitCode);
        Assert.True(none.Stderr.Contains("if it is an HTTPS port, give --ca-cert FILE", StringComparison.Ordinal), none.Stderr);
    }

    [Fact]
    public async Task Bad_trust_options_are_usage_errors()
    {
        var env = Isolated("bad");
        string notPem = Path.Combine(_work, "not-a-cert.crt");
        await File.WriteAllTextAsync(notPem, "hello\n");
        var garbage = await BollardProcess.RunAsync(Sbom("--ca-cert", notPem), env);
        Assert.Equal(2, garbage.ExitCode);
        Assert.Contains($"'{notPem}' holds no PEM certificate", garbage.Stderr, StringComparison.Ordinal);

        var missing = await BollardProcess.RunAsync(Sbom("--ca-cert", Path.Combine(_work, "absent.crt")), env);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("cannot be read as PEM certificates", missing.Stderr, StringComparison.Ordinal);

        var both = await BollardProcess.RunAsync(Sbom("--ca-cert", _cert, "--insecure"), env);
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("give --ca-cert or --insecure, not both", both.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_login_of_that_server_brings_its_ca_cert_and_its_token()
    {
        var env = Isolated("login");
        var login = await BollardProcess.RunAsync(["login", $"https://{_server.HostPort}", "-u", "admin", "--password-stdin", "--ca-cert", _cert], env,
            CliRunner.AdminPassword + "\n");
        Assert.True(login.ExitCode == 0, login.Stderr);
        // No flag at all: the login's trust and its token.
        Succeeded(await BollardProcess.RunAsync(["sbom", _image, "--generate"], env));
    }

    [Fact]
    public async Task The_containers_certs_d_folder_of_the_host_is_read()
    {
        var env = Isolated("certsd");
        string dir = Path.Combine(env["XDG_CONFIG_HOME"], "containers", "certs.d", _server.HostPort);
        Directory.CreateDirectory(dir);
        File.Copy(_cert, Path.Combine(dir, "ca.crt"));
        Succeeded(await BollardProcess.RunAsync(Sbom(), env));

        // A folder for another host is not used for this one.
        var other = Isolated("certsd-other");
        string otherDir = Path.Combine(other["XDG_CONFIG_HOME"], "containers", "certs.d", "127.0.0.2:1");
        Directory.CreateDirectory(otherDir);
        File.Copy(_cert, Path.Combine(otherDir, "ca.crt"));
        var refused = await BollardProcess.RunAsync(Sbom(), other);
        Assert.Equal(1, refused.ExitCode);
        Assert.DoesNotContain("pkg:apk/", refused.Stdout, StringComparison.Ordinal);
    }
}
