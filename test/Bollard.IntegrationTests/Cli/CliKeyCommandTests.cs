namespace Bollard.IntegrationTests.Cli;

/// <summary>
/// <c>bollard key ...</c> as a person runs it (the real executable) against a real server with access control on: an
/// admin creates a key for the CI robot, the robot signs with it without ever holding it, <c>bollard verify</c> passes
/// with the printed public key; a user not allowed to use the key is refused with the reason; an encrypted cosign key
/// (the vector, password <c>hello</c>) is imported through <c>--password-stdin</c>.
/// </summary>
public sealed class CliKeyCommandTests : IDisposable
{
    private readonly string _work = TempDir.Create("bollard-key-cli-");
    private readonly CliRunner _cli = new();

    public void Dispose()
    {
        _cli.Dispose();
        TempDir.Delete(_work);
    }

    private static Dictionary<string, string?> As(AccessServer access, AccessCreds creds) => new()
    {
        ["BOLLARD_SERVER"] = access.Server.BaseAddress.ToString(), ["BOLLARD_USER"] = creds.User, ["BOLLARD_PASSWORD"] = creds.Secret,
    };

    [Fact]
    public async Task A_robot_signs_with_a_server_key_it_never_sees_and_verify_passes_with_the_printed_public_key()
    {
        await using var access = await AccessServer.StartAsync();
        var registry = access.Registry(access.Admin);
        var image = await AccessServer.PushImageAsync(registry, "keycli/app", "1");
        var ci = await access.CreateRobotAsync(AccessServer.Unique("ci"), ("developer", "keycli/**"));
        var bob = await access.CreateUserWithRoleAsync(AccessServer.Unique("bob"), "developer", "keycli/**");
        var admin = As(access, access.Admin);

        var created = await _cli.RunWithAsync(null, admin, "key", "create", "release", "--principal", ci.User);
        CliRunner.Succeeded(created);
        Assert.Contains("Created signing key release", created.Stdout, StringComparison.Ordinal);
        Assert.Contains("BEGIN PUBLIC KEY", created.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE", created.Stdout, StringComparison.Ordinal);

        var list = await _cli.RunWithAsync(null, admin, "key", "list");
        CliRunner.Succeeded(list);
        Assert.Contains("release", list.Stdout, StringComparison.Ordinal);
        Assert.Contains(ci.User, list.Stdout, StringComparison.Ordinal);

        // Bob has push on the repository but is not among the key's principals.
        var refused = await _cli.RunWithAsync(null, As(access, bob), "key", "sign", "release", "keycli/app:1");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("release", refused.Stderr, StringComparison.Ordinal);

        var signed = await _cli.RunWithAsync(null, As(access, ci), "key", "sign", "release", "keycli/app:1", "--format", "cosign");
        CliRunner.Succeeded(signed);
        Assert.Contains($"Signed keycli/app@{image.Digest} with key release", signed.Stdout, StringComparison.Ordinal);
        Assert.Contains("cosign", signed.Stdout, StringComparison.Ordinal);

        // The same through `bollard sign --server-key`, with registry credentials (the robot's), on a second image.
        var other = await AccessServer.PushImageAsync(registry, "keycli/app", "2");
        var registryCreds = new Dictionary<string, string?> { ["BOLLARD_USERNAME"] = ci.User, ["BOLLARD_PASSWORD"] = ci.Secret };
        var viaSign = await _cli.RunWithAsync(null, registryCreds, "sign", $"docker://{access.Server.HostPort}/keycli/app:2", "--server-key", "release");
        CliRunner.Succeeded(viaSign);
        Assert.Contains($"keycli/app@{other.Digest} with server key release", viaSign.Stdout, StringComparison.Ordinal);
        Assert.Contains("sigstore-bundle", viaSign.Stdout, StringComparison.Ordinal);
        var mixed = await _cli.RunWithAsync(null, registryCreds, "sign", $"docker://{access.Server.HostPort}/keycli/app:2", "--server-key", "release", "--key", "x.key");
        Assert.Equal(2, mixed.ExitCode);

        var pem = await _cli.RunWithAsync(null, As(access, ci), "key", "public-key", "release");
        CliRunner.Succeeded(pem);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", pem.Stdout, StringComparison.Ordinal);
        string pub = Path.Combine(_work, "release.pub");
        await File.WriteAllTextAsync(pub, pem.Stdout);
        var verify = await _cli.RunWithAsync(null, new Dictionary<string, string?> { ["BOLLARD_USERNAME"] = access.Admin.User, ["BOLLARD_PASSWORD"] = access.Admin.Secret },
            "verify", $"docker://{access.Server.HostPort}/keycli/app:1", "--key", pub);
        CliRunner.Succeeded(verify);
        var verifyOther = await _cli.RunWithAsync(null, new Dictionary<string, string?> { ["BOLLARD_USERNAME"] = access.Admin.User, ["BOLLARD_PASSWORD"] = access.Admin.Secret },
            "verify", $"docker://{access.Server.HostPort}/keycli/app:2", "--key", pub);
        CliRunner.Succeeded(verifyOther);

        // Allowing nobody takes the right away again; the robot's next sign is refused.
        CliRunner.Succeeded(await _cli.RunWithAsync(null, admin, "key", "allow", "release"));
        var after = await _cli.RunWithAsync(null, As(access, ci), "key", "sign", "release", "keycli/app:1");
        Assert.Equal(1, after.ExitCode);

        var bare = await _cli.RunWithAsync(null, admin, "key", "sign", "release", "keycli/app");
        Assert.Equal(2, bare.ExitCode);
        Assert.Contains("needs a tag or a digest", bare.Stderr, StringComparison.Ordinal);

        CliRunner.Succeeded(await _cli.RunWithAsync(null, admin, "key", "delete", "release"));
        var gone = await _cli.RunWithAsync(null, admin, "key", "show", "release");
        Assert.Equal(1, gone.ExitCode);
    }

    [Fact]
    public async Task An_encrypted_cosign_key_is_imported_with_its_password_from_stdin_and_a_wrong_password_is_refused()
    {
        await using var access = await AccessServer.StartAsync();
        var admin = As(access, access.Admin);
        string vector = Path.Combine(AppContext.BaseDirectory, "TestData", "signing", "cosign", "pemsigstorekey.pem");

        var wrong = await _cli.RunWithAsync("not-the-password\n", admin, "key", "import", "imported", vector, "--password-stdin");
        Assert.Equal(1, wrong.ExitCode);
        Assert.DoesNotContain("BEGIN", wrong.Stderr, StringComparison.Ordinal);

        var imported = await _cli.RunWithAsync("hello\n", admin, "key", "import", "imported", vector, "--password-stdin", "--principal", "admin");
        CliRunner.Succeeded(imported);
        Assert.Contains("Created signing key imported", imported.Stdout, StringComparison.Ordinal);
        var show = await _cli.RunWithAsync(null, admin, "key", "show", "imported", "--json");
        CliRunner.Succeeded(show);
        Assert.Contains("\"fingerprint\"", show.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE", show.Stdout, StringComparison.Ordinal);
    }
}
