namespace Bollard.IntegrationTests.Cli;

/// <summary>
/// Issue 6, C7: a self-signed HTTPS server. The CLI says what is wrong (plain HTTP to the TLS port, an untrusted
/// certificate) and takes <c>--ca-cert FILE</c> or <c>--insecure</c>, stored with the login.
/// </summary>
public sealed class CliTlsTests : IDisposable
{
    private readonly string _dir = TempDir.Create("bollard-cli-tls-");

    public void Dispose() => TempDir.Delete(_dir);

    private async Task<BollardServer> StartTlsAsync()
    {
        var (cert, key) = SelfSignedCertificate.Write(_dir);
        var settings = new Dictionary<string, string?>(CliRunner.AuthSettings)
        {
            ["Server:TlsCertificate"] = cert,
            ["Server:TlsKey"] = key,
        };
        return await BollardServer.StartAsync(settings);
    }

    [Fact]
    public async Task HttpsPortWithoutScheme_SaysItIsAnHttpsPort()
    {
        await using var server = await StartTlsAsync();
        using var cli = new CliRunner();
        var r = await cli.RunWithAsync(CliRunner.AdminPassword + "\n", null, "login", server.HostPort, "--username", "admin", "--password-stdin");
        CliRunner.Failed(r, 1, $"is an HTTPS port: use https://{server.HostPort}");
    }

    [Fact]
    public async Task SelfSignedCertificate_IsExplained_CaCertAndInsecureWork_AndAreStored()
    {
        await using var server = await StartTlsAsync();
        string url = $"https://{server.HostPort}";
        using var cli = new CliRunner();
        var untrusted = await cli.RunWithAsync(CliRunner.AdminPassword + "\n", null, "login", url, "--username", "admin", "--password-stdin");
        CliRunner.Failed(untrusted, 1, "certificate is not trusted (self-signed?): give --ca-cert FILE");

        var withCa = await cli.RunWithAsync(CliRunner.AdminPassword + "\n", null, "login", url, "--username", "admin", "--password-stdin",
            "--ca-cert", Path.Combine(_dir, "tls.crt"));
        Assert.True(withCa.ExitCode == 0, withCa.ToString());
        var whoami = await cli.RunAsync("whoami"); // the stored login keeps trusting that CA
        Assert.True(whoami.ExitCode == 0, whoami.ToString());
        Assert.Contains("admin", whoami.Stdout);

        using var other = new CliRunner();
        var insecure = await other.RunWithAsync(CliRunner.AdminPassword + "\n", null, "login", url, "--username", "admin", "--password-stdin", "--insecure");
        Assert.True(insecure.ExitCode == 0, insecure.ToString());
        Assert.Contains("\"insecure\": true", await File.ReadAllTextAsync(other.ConfigPath));
    }
}
