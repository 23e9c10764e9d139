using System.Security.Cryptography;
using System.Text.Json;
using Bollard.Core.Client;
using Bollard.Core.Oci;

namespace Bollard.IntegrationTests.Cli;

/// <summary>
/// <c>bollard verify</c>'s failures and the Core <see cref="RegistryClient"/>'s push side, against a real Bollard on
/// loopback (signing and verifying signatures end to end: <c>CliSignVerifyTests</c>).
/// </summary>
public sealed class CliVerifyTests : IDisposable
{
    private readonly string _work = TempDir.Create("bollard-verify-");
    private readonly CliRunner _cli = new();

    public void Dispose()
    {
        _cli.Dispose();
        TempDir.Delete(_work);
    }

    private (string Key, string Pub) NewKey(string name)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string key = Path.Combine(_work, name + ".key"), pub = Path.Combine(_work, name + ".pub");
        File.WriteAllText(key, ec.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(pub, ec.ExportSubjectPublicKeyInfoPem());
        return (key, pub);
    }

    [Fact]
    public async Task Verify_an_unsigned_image_exits_1_and_bad_inputs_exit_2_with_one_line()
    {
        await using var server = await BollardServer.StartAsync();
        var (_, digest) = await server.Client.PushImageAsync("team/app", "1.0", layers: 1, layerSize: 256);
        var (key, pub) = NewKey("dev");
        string image = $"docker://{server.HostPort}/team/app:1.0";

        var unsigned = await _cli.RunAsync("verify", image, "--key", pub, "--output", "json");
        Assert.True(unsigned.ExitCode == 1, unsigned.ToString());
        using (var doc = JsonDocument.Parse(unsigned.Stdout))
        {
            Assert.False(doc.RootElement.GetProperty("satisfied").GetBoolean());
            Assert.Equal(digest, doc.RootElement.GetProperty("digest").GetString());
            Assert.Equal(0, doc.RootElement.GetProperty("signatures").GetArrayLength());
        }
        var text = await _cli.RunAsync("verify", image, "--key", pub);
        Assert.Equal(1, text.ExitCode);
        Assert.Contains("not satisfied: key dev.pub", text.Stdout, StringComparison.Ordinal);

        CliRunner.Failed(await _cli.RunAsync("verify", image), 2, "give what to trust");
        CliRunner.Failed(await _cli.RunAsync("verify", "oci:/tmp/x", "--key", pub), 2, "not a registry image");
        CliRunner.Failed(await _cli.RunAsync("verify", image, "--key", Path.Combine(_work, "nope.pub")), 2, "no such file");
        CliRunner.Failed(await _cli.RunAsync("verify", image, "--key", key), 2, "--key");
        CliRunner.Failed(await _cli.RunAsync("verify", image, "--key", pub, "--require", "3"), 2, "only 1 anchor");
        CliRunner.Failed(await _cli.RunAsync("verify", image, "--key", pub, "--require", "most"), 2, "--require");
        CliRunner.Failed(await _cli.RunAsync("verify", image, "--identity", "dev@example.com"), 2, "--trusted-root");
        CliRunner.Failed(await _cli.RunAsync("verify", image, "--key", pub, "--output", "xml"), 2, "--output");
        CliRunner.Failed(await _cli.RunAsync("verify", $"docker://{server.HostPort}/team/app:nope", "--key", pub), 2, "not found");
        CliRunner.Failed(await _cli.RunAsync("verify", "docker://127.0.0.1:1/team/app:1.0", "--key", pub), 2, "cannot reach");
    }

    [Fact]
    public async Task Sign_bad_inputs_exit_2_and_a_missing_image_exits_1()
    {
        await using var server = await BollardServer.StartAsync();
        await server.Client.PushImageAsync("team/app", "1.0", layers: 1, layerSize: 256);
        var (key, pub) = NewKey("dev");
        string image = $"docker://{server.HostPort}/team/app:1.0";
        CliRunner.Failed(await _cli.RunAsync("sign", image), 2, "--key FILE");
        CliRunner.Failed(await _cli.RunAsync("sign", image, "--key", pub), 2, "--key");
        CliRunner.Failed(await _cli.RunAsync("sign", image, "--key", key, "--format", "pgp"), 2, "--format 'pgp'");
        CliRunner.Failed(await _cli.RunAsync("sign", image, "--key", key, "--format", "notation"), 2, "--cert");
        CliRunner.Failed(await _cli.RunAsync("sign", image, "--key", key, "-a", "novalue"), 2, "key=value");
        CliRunner.Failed(await _cli.RunAsync("sign", "docker-archive:/tmp/x.tar", "--key", key), 2, "not a registry image");
    }

    [Fact]
    public async Task RegistryClient_pushes_blobs_and_manifests_and_reads_them_back()
    {
        await using var server = await BollardServer.StartAsync();
        using var client = new RegistryClient(server.HostPort, null, insecure: false);
        byte[] config = "{}"u8.ToArray();
        var configDigest = await client.UploadBlobAsync("team/raw", config, default);
        Assert.True(await client.BlobExistsAsync("team/raw", configDigest, false, default));
        Assert.Equal(configDigest, await client.UploadBlobAsync("team/raw", config, default)); // present: skipped
        Assert.Equal(config, await client.ReadBlobAsync("team/raw", configDigest, 1024, default));
        byte[] manifest = System.Text.Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{MediaTypes.OciManifest}}","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{{configDigest}}","size":2},"layers":[]}""");
        var first = await client.PutManifestAsync("team/raw", "t", MediaTypes.OciManifest, manifest, Core.Registry.TagCondition.Absent, default);
        Assert.Equal(Digest.Sha256Of(manifest), first);
        var head = await client.HeadManifestAsync("team/raw", "t", default);
        Assert.Equal(first, head!.Digest);
        Assert.Equal(manifest.Length, head.Size);
        var got = await client.GetManifestAsync("team/raw", first.ToString(), default);
        Assert.Equal(manifest, got.Body);
        Assert.Contains("t", await client.ListTagsAsync("team/raw", 100, default));
        Assert.Null(await client.HeadManifestAsync("team/raw", "missing", default));

        // The tag exists now: If-None-Match: * and an If-Match naming another digest are both refused with 412.
        var again = await Assert.ThrowsAsync<RegistryClientException>(() =>
            client.PutManifestAsync("team/raw", "t", MediaTypes.OciManifest, manifest, Core.Registry.TagCondition.Absent, default));
        Assert.Equal(RegistryClientError.PreconditionFailed, again.Error);
        var moved = await Assert.ThrowsAsync<RegistryClientException>(() =>
            client.PutManifestAsync("team/raw", "t", MediaTypes.OciManifest, manifest, Core.Registry.TagCondition.Matching(Digest.Sha256Of("x"u8)), default));
        Assert.Equal(RegistryClientError.PreconditionFailed, moved.Error);
        Assert.Equal(first, await client.PutManifestAsync("team/raw", "t", MediaTypes.OciManifest, manifest, Core.Registry.TagCondition.Matching(first), default));

        Assert.True(await client.SupportsReferrersAsync("team/raw", first, default));
        Assert.Empty(await client.ListReferrersAsync("team/raw", first, 10, default));
        var tooSmall = await Assert.ThrowsAsync<RegistryClientException>(() => client.ReadBlobAsync("team/raw", configDigest, 1, default));
        Assert.Equal(RegistryClientError.Invalid, tooSmall.Error);
        var missing = await Assert.ThrowsAsync<RegistryClientException>(() => client.GetManifestAsync("team/raw", "missing", default));
        Assert.Equal(RegistryClientError.NotFound, missing.Error);
    }
}
