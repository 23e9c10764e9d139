using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Bollard.Core.Client;
using Bollard.Core.Oci;
using Bollard.IntegrationTests.Mirror.Support;
using Bollard.Trust.Keys;

namespace Bollard.IntegrationTests.Cli;

/// <summary>
/// <c>bollard sign</c> and <c>bollard verify</c> as a person runs them (the real executable as a child process) against
/// real registries on loopback: Bollard (its conditional tag PUT keeps concurrent signers' signatures), Debian's
/// <c>docker-registry</c> (CNCF Distribution, no referrers API: the tag-schema fallback), and <c>skopeo copy</c> with
/// <c>use-sigstore-attachments</c> carrying the <c>.sig</c> from one to the other.
/// </summary>
public sealed class CliSignVerifyTests : IDisposable
{
    private const string VectorPassword = "hello";
    private readonly string _work = TempDir.Create("bollard-sign-");
    private readonly CliRunner _cli = new();

    public void Dispose()
    {
        _cli.Dispose();
        TempDir.Delete(_work);
    }

    private static string Vector(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "signing", "cosign", name);

    /// <summary>A new ECDSA P-256 key pair as PEM files: (private, public).</summary>
    private (string Key, string Pub) NewKey(string name)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string key = Path.Combine(_work, name + ".key"), pub = Path.Combine(_work, name + ".pub");
        File.WriteAllText(key, ec.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(pub, ec.ExportSubjectPublicKeyInfoPem());
        return (key, pub);
    }

    private static async Task<string> PushImageAsync(BollardServer server, string repo, string tag)
    {
        var (_, digest) = await server.Client.PushImageAsync(repo, tag, layers: 1, layerSize: 256);
        return digest;
    }

    [Fact]
    public async Task Sign_with_a_pem_key_then_verify_passes_and_another_key_fails_with_the_reason()
    {
        await using var server = await BollardServer.StartAsync();
        string digest = await PushImageAsync(server, "team/app", "1.0");
        var (key, pub) = NewKey("dev");
        var (_, otherPub) = NewKey("other");
        string image = $"docker://{server.HostPort}/team/app:1.0";

        var sign = await _cli.RunAsync("sign", image, "--key", key);
        CliRunner.Succeeded(sign);
        Assert.Contains(digest, sign.Stdout, StringComparison.Ordinal);
        Assert.Contains("cosign", sign.Stdout, StringComparison.Ordinal);
        Assert.Contains("sigstore-bundle", sign.Stdout, StringComparison.Ordinal);

        var ok = await _cli.RunAsync("verify", image, "--key", pub);
        CliRunner.Succeeded(ok);
        Assert.Contains("trusted by key dev.pub", ok.Stdout, StringComparison.Ordinal);
        Assert.Contains("Verified", ok.Stdout, StringComparison.Ordinal);

        var json = await _cli.RunAsync("verify", $"docker://{server.HostPort}/team/app@{digest}", "--key", pub, "--output", "json");
        CliRunner.Succeeded(json);
        using (var doc = JsonDocument.Parse(json.Stdout))
        {
            Assert.True(doc.RootElement.GetProperty("satisfied").GetBoolean());
            var formats = doc.RootElement.GetProperty("signatures").EnumerateArray()
                .Where(s => s.GetProperty("anchors")[0].GetProperty("trusted").GetBoolean())
                .Select(s => s.GetProperty("format").GetString()).ToList();
            Assert.Contains("cosign", formats);
            Assert.Contains("sigstore-bundle", formats);
            Assert.All(doc.RootElement.GetProperty("signatures").EnumerateArray(), s => Assert.Equal(digest, s.GetProperty("signedDigest").GetString()));
        }

        var wrong = await _cli.RunAsync("verify", image, "--key", otherPub);
        Assert.True(wrong.ExitCode == 1, wrong.ToString());
        Assert.Contains("not trusted by key other.pub", wrong.Stdout, StringComparison.Ordinal);
        Assert.Contains("Not verified", wrong.Stdout, StringComparison.Ordinal);

        // Two anchors: all needs both, any and 1 need one.
        Assert.Equal(1, (await _cli.RunAsync("verify", image, "--key", pub, "--key", otherPub)).ExitCode);
        Assert.Equal(0, (await _cli.RunAsync("verify", image, "--key", pub, "--key", otherPub, "--require", "any")).ExitCode);
        Assert.Equal(0, (await _cli.RunAsync("verify", image, "--key", pub, "--key", otherPub, "--require", "1")).ExitCode);
    }

    [Fact]
    public async Task Sign_with_the_encrypted_cosign_vector_password_from_stdin_or_environment()
    {
        await using var server = await BollardServer.StartAsync();
        await PushImageAsync(server, "team/app", "1.0");
        string pub = Path.Combine(_work, "vector.pub");
        await File.WriteAllTextAsync(pub, CosignPrivateKey.Decrypt(await File.ReadAllTextAsync(Vector("pemsigstorekey.pem")), VectorPassword).PublicKeyPem);
        string image = $"docker://{server.HostPort}/team/app:1.0";

        var fromStdin = await _cli.RunWithAsync(VectorPassword + "\n", null, "sign", image, "--key", Vector("pemsigstorekey.pem"), "--password-stdin", "--format", "cosign");
        CliRunner.Succeeded(fromStdin);
        CliRunner.Succeeded(await _cli.RunAsync("verify", image, "--key", pub));

        // COSIGN_PASSWORD as cosign takes it; the same signature again is not appended twice.
        var fromEnv = await _cli.RunWithAsync(null, new Dictionary<string, string?> { ["COSIGN_PASSWORD"] = VectorPassword },
            "sign", image, "--key", Vector("pemsigstorekey.pem"), "--format", "sigstore-bundle", "--output", "json");
        CliRunner.Succeeded(fromEnv);

        var wrong = await _cli.RunWithAsync("not-the-password\n", null, "sign", image, "--key", Vector("pemsigstorekey.pem"), "--password-stdin");
        CliRunner.Failed(wrong, 2, "wrong password");
        var noPassword = await _cli.RunAsync("sign", image, "--key", Vector("pemsigstorekey.pem"));
        CliRunner.Failed(noPassword, 2, "--password-stdin");
    }

    [Fact]
    public async Task A_signature_copied_to_another_image_does_not_verify()
    {
        await using var server = await BollardServer.StartAsync();
        string signed = await PushImageAsync(server, "team/app", "1.0");
        string other = await PushImageAsync(server, "team/app", "2.0");
        var (key, pub) = NewKey("dev");
        CliRunner.Succeeded(await _cli.RunAsync("sign", $"docker://{server.HostPort}/team/app:1.0", "--key", key, "--format", "cosign"));

        // The attacker copies the .sig manifest (same blobs, same repository) to the other image's .sig tag.
        using var client = new RegistryClient(server.HostPort, null, insecure: false);
        var sig = await client.GetManifestAsync("team/app", "sha256-" + Digest.Parse(signed).Hex + ".sig", default);
        await client.PutManifestAsync("team/app", "sha256-" + Digest.Parse(other).Hex + ".sig", sig.MediaType, sig.Body, null, default);

        var copied = await _cli.RunAsync("verify", $"docker://{server.HostPort}/team/app:2.0", "--key", pub);
        Assert.True(copied.ExitCode == 1, copied.ToString());
        Assert.Contains(signed, copied.Stdout, StringComparison.Ordinal); // it says what the signature is really over
        CliRunner.Succeeded(await _cli.RunAsync("verify", $"docker://{server.HostPort}/team/app:1.0", "--key", pub));
    }

    [Fact]
    public async Task Concurrent_signers_of_one_image_all_keep_their_signatures()
    {
        await using var server = await BollardServer.StartAsync();
        await PushImageAsync(server, "team/app", "1.0");
        string image = $"docker://{server.HostPort}/team/app:1.0";
        var keys = Enumerable.Range(0, 4).Select(i => NewKey($"signer{i}")).ToList();

        var runs = await Task.WhenAll(keys.Select(k => _cli.RunAsync("sign", image, "--key", k.Key, "--format", "cosign")));
        Assert.All(runs, CliRunner.Succeeded);

        var args = new List<string> { "verify", image, "--require", "all", "--output", "json" };
        foreach (var k in keys) args.AddRange(["--key", k.Pub]);
        var verify = await _cli.RunAsync([.. args]);
        CliRunner.Succeeded(verify);
        using var doc = JsonDocument.Parse(verify.Stdout);
        Assert.Equal(4, doc.RootElement.GetProperty("signatures").GetArrayLength());
    }

    [Fact]
    public async Task Sign_and_verify_on_docker_registry_use_the_referrers_tag_fallback()
    {
        ExternalTool.Require("docker-registry");
        await using var bollard = await BollardServer.StartAsync();
        await using var registry = await UpstreamRegistry.StartNewAsync();
        await PushImageAsync(bollard, "team/app", "1.0");
        // skopeo copies the image itself into the Distribution registry.
        ExternalTool.Require("skopeo");
        await ExternalTool.RunCheckedAsync("skopeo", ["copy", "--src-tls-verify=false", "--dest-tls-verify=false",
            $"docker://{bollard.HostPort}/team/app:1.0", $"docker://{registry.HostPort}/team/app:1.0"], timeout: TimeSpan.FromMinutes(2));
        var (key, pub) = NewKey("dev");
        string image = $"docker://{registry.HostPort}/team/app:1.0";

        CliRunner.Succeeded(await _cli.RunAsync("sign", image, "--key", key));
        var verify = await _cli.RunAsync("verify", image, "--key", pub, "--output", "json");
        CliRunner.Succeeded(verify);
        using var doc = JsonDocument.Parse(verify.Stdout);
        var formats = doc.RootElement.GetProperty("signatures").EnumerateArray().Select(s => s.GetProperty("format").GetString()).ToList();
        Assert.Contains("sigstore-bundle", formats); // found through the sha256-HEX index: Distribution has no referrers API
        Assert.Contains("cosign", formats);
    }

    [Fact]
    public async Task Skopeo_with_sigstore_attachments_carries_the_signature_to_another_registry_where_it_verifies()
    {
        ExternalTool.Require("skopeo");
        ExternalTool.Require("docker-registry");
        await using var bollard = await BollardServer.StartAsync();
        await using var registry = await UpstreamRegistry.StartNewAsync();
        await PushImageAsync(bollard, "team/app", "1.0");
        var (key, pub) = NewKey("dev");
        CliRunner.Succeeded(await _cli.RunAsync("sign", $"docker://{bollard.HostPort}/team/app:1.0", "--key", key, "--format", "cosign"));

        // containers-registries.d(5): use-sigstore-attachments makes skopeo read and write the sha256-HEX.sig manifests.
        string registriesD = Path.Combine(_work, "registries.d");
        Directory.CreateDirectory(registriesD);
        await File.WriteAllTextAsync(Path.Combine(registriesD, "bollard.yaml"),
            $"docker:\n  {bollard.HostPort}:\n    use-sigstore-attachments: true\n  {registry.HostPort}:\n    use-sigstore-attachments: true\n");
        await ExternalTool.RunCheckedAsync("skopeo", ["--registries.d", registriesD, "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
            $"docker://{bollard.HostPort}/team/app:1.0", $"docker://{registry.HostPort}/team/app:1.0"], timeout: TimeSpan.FromMinutes(2));

        var there = await _cli.RunAsync("verify", $"docker://{registry.HostPort}/team/app:1.0", "--key", pub);
        CliRunner.Succeeded(there);
        Assert.Contains("trusted by key dev.pub", there.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_inputs_are_one_line_errors_with_exit_code_2()
    {
        await using var server = await BollardServer.StartAsync();
        await PushImageAsync(server, "team/app", "1.0");
        var (key, pub) = NewKey("dev");
        string image = $"docker://{server.HostPort}/team/app:1.0";

        CliRunner.Failed(await _cli.RunAsync("verify", image), 2, "give what to trust");
        CliRunner.Failed(await _cli.RunAsync("verify", "oci:/tmp/x", "--key", pub), 2, "not a registry image");
        CliRunner.Failed(await _cli.RunAsync("verify", image, "--key", Path.Combine(_work, "nope.pub")), 2, "no such file");
        CliRunner.Failed(await _cli.RunAsync("verify", image, "--key", key), 2, "--key");
        CliRunner.Failed(await _cli.RunAsync("verify", image, "--key", pub, "--require", "3"), 2, "only 1 anchor");
        CliRunner.Failed(await _cli.RunAsync("verify", image, "--identity", "dev@example.com"), 2, "--trusted-root");
        CliRunner.Failed(await _cli.RunAsync("verify", $"docker://{server.HostPort}/team/app:nope", "--key", pub), 2, "not found");
        CliRunner.Failed(await _cli.RunAsync("verify", "docker://127.0.0.1:1/team/app:1.0", "--key", pub), 2, "cannot reach");
        CliRunner.Failed(await _cli.RunAsync("sign", image, "--key", pub), 2, "--key");
        CliRunner.Failed(await _cli.RunAsync("sign", image, "--key", key, "--format", "pgp"), 2, "--format 'pgp'");
        CliRunner.Failed(await _cli.RunAsync("sign", image, "--key", key, "--format", "notation"), 2, "--cert");
        CliRunner.Failed(await _cli.RunAsync("sign", image), 2, "give the private key: --key FILE");
        CliRunner.Failed(await _cli.RunAsync("sign", image, "--key", key, "-a", "novalue"), 2, "key=value");
        CliRunner.Failed(await _cli.RunAsync("sign", $"docker://{server.HostPort}/team/app:nope", "--key", key), 1, "not found");
    }
}
