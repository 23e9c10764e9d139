using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.Core.Oci;
using Bollard.Trust.Keys;
using Bollard.Trust.Signatures;
using Bollard.Trust.Signing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Trust;

/// <summary>The server side of signing on a real server: concurrent appends to one .sig, ImageSigned webhooks, server-held key permissions.</summary>
public sealed class ServerSigningTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TenConcurrentSigners_AppendToOneSig_EverySignatureKeptAndVerifying_AndImageSignedReachesWebhooks()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        await using var server = await BollardServer.StartAsync(WebhookSupport.FastLoopback(), output: output);
        var api = server.Client;
        var (_, secret) = await WebhookSupport.CreateAsync(api, receiver.Url, "signed/**", ["image.signed"]);
        receiver.Secret = secret;
        var (manifest, digest) = await api.PushImageAsync("signed/app", "v1");
        var image = Digest.Parse(digest);
        var input = new SigningInput(server.HostPort, "signed/app", image, MediaTypes.OciManifest, manifest.Length, DateTimeOffset.UtcNow);

        // Ten signers, each with its own key, through the server's own sink (BlobService/ManifestService), all at once.
        var signers = Enumerable.Range(0, 10).Select(_ => LocalSigner.GenerateEcdsaP256()).ToList();
        var sinks = server.Services.GetRequiredService<RegistryArtifactSinkFactory>();
        var options = server.Services.GetRequiredService<SignatureAttacherOptions>();
        var results = await Task.WhenAll(signers.Select((signer, i) => Task.Run(() =>
        {
            string json = "{\"critical\":{\"identity\":{\"docker-reference\":\"" + server.HostPort + "/signed/app\"},\"image\":{\"docker-manifest-digest\":\"" + digest
                + "\"},\"type\":\"cosign container image signature\"},\"optional\":{\"signer\":" + i + "}}";
            byte[] payload = Encoding.UTF8.GetBytes(json);
            var layer = new CosignLayer(payload, new Dictionary<string, string> { ["dev.cosignproject.cosign/signature"] = Convert.ToBase64String(signer.Sign(payload)) });
            return new SignatureAttacher(sinks.For(new Bollard.Core.Registry.RegistryActor($"signer{i}", "127.0.0.1")), options).AttachAsync(input, layer, default);
        })));
        output.WriteLine($"attempts: {string.Join(",", results.Select(r => r.Attempts))}");

        using var sig = await api.GetAsync($"/v2/signed/app/manifests/sha256-{image.Hex}.sig");
        Assert.Equal(HttpStatusCode.OK, sig.StatusCode);
        var layers = JsonNode.Parse(await sig.Content.ReadAsByteArrayAsync())!["layers"]!.AsArray();
        Assert.Equal(10, layers.Count);
        var verifiedBy = new HashSet<int>();
        foreach (var l in layers)
        {
            byte[] payload = await api.GetByteArrayAsync($"/v2/signed/app/blobs/{l!["digest"]!.GetValue<string>()}");
            byte[] signature = Convert.FromBase64String(l["annotations"]!["dev.cosignproject.cosign/signature"]!.GetValue<string>());
            int who = signers.FindIndex(s => s.PublicKey.Verify(payload, signature, s.VerifyOptions));
            Assert.True(who >= 0, "a layer verifies with one of the signers' keys");
            verifiedBy.Add(who);
        }
        Assert.Equal(10, verifiedBy.Count);

        // Every append was a push of the .sig tag, so ImageSigned arrives for the image (at least once per signer).
        var got = await WebhookSupport.EventuallyAsync(() => Task.FromResult(receiver.Accepted), r => r.Count >= 10, "ten image.signed deliveries", server.RecentLog);
        Assert.All(got, r => Assert.True(r.SignatureValid));
        Assert.All(got, r => Assert.Contains(digest, r.Text, StringComparison.Ordinal));
        Assert.All(got, r => Assert.Contains("image.signed", r.Text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServerHeldKey_OnlyAllowedPrincipalsWithPush_AndThePrivateKeyIsNeverShown()
    {
        await using var access = await AccessServer.StartAsync();
        var admin = access.AdminApi;
        var ci = await access.CreateRobotAsync(AccessServer.Unique("ci"), ("developer", "signed/**"));
        var bob = await access.CreateUserWithRoleAsync(AccessServer.Unique("bob"), "developer", "signed/**");
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string privatePem = ecdsa.ExportPkcs8PrivateKeyPem();
        string privateBase64 = Convert.ToBase64String(ecdsa.ExportPkcs8PrivateKey());

        var responses = new List<string>();
        async Task<(HttpStatusCode Status, string Body)> Call(Task<HttpResponseMessage> request)
        {
            using var response = await request;
            string body = await response.Content.ReadAsStringAsync();
            responses.Add(body);
            return (response.StatusCode, body);
        }

        var created = await Call(admin.PostAsJsonAsync("/api/v1/signing-keys", new { name = "release", privateKeyPem = privatePem, principals = new[] { ci.User } }));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Contains(ecdsa.ExportSubjectPublicKeyInfoPem().Split('\n')[1], created.Body.Replace("\\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
        // The key-encryption key was created owner-only in the data folder.
        string kek = Path.Combine(access.Server.DataDir, "signing-keys.kek");
        Assert.Equal(32, new FileInfo(kek).Length);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(kek));

        // bob may push but is not one of the key's principals: 403 with the reason.
        var denied = await Call(access.Api(bob).PostAsJsonAsync("/api/v1/signing-keys/release/sign", new { repository = "signed/app", reference = "v1", formats = new[] { "cosign" } }));
        Assert.Equal(HttpStatusCode.Forbidden, denied.Status);
        Assert.Contains($"'{bob.User}' is not allowed to sign with key 'release'", denied.Body, StringComparison.Ordinal);

        // The robot is allowed to use the key but has no push on another namespace: 403 too.
        var noPush = await Call(access.Api(ci).PostAsJsonAsync("/api/v1/signing-keys/release/sign", new { repository = "other/app", reference = "v1" }));
        Assert.Equal(HttpStatusCode.Forbidden, noPush.Status);
        Assert.Contains("may not push to other/app", noPush.Body, StringComparison.Ordinal);

        // Neither a non-admin nor the list shows anything private; bob cannot even see the key.
        Assert.Equal(HttpStatusCode.NotFound, (await Call(access.Api(bob).GetAsync("/api/v1/signing-keys/release"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await Call(access.Api(ci).GetAsync("/api/v1/signing-keys/release/public-key"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await Call(admin.GetAsync("/api/v1/signing-keys"))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Call(access.Api(ci).GetAsync("/api/v1/signing-keys"))).Status);

        // Audited (the recorder writes in the background).
        await WebhookSupport.EventuallyAsync(() => AccessServer.QueryAuditAsync(admin, action: "signing-key.sign", outcome: "denied"),
            a => a.Any(e => e.Principal == bob.User && e.Detail!.Contains("not allowed", StringComparison.Ordinal))
                 && a.Any(e => e.Principal == ci.User && e.Detail!.Contains("may not push", StringComparison.Ordinal)),
            "both refusals audited", access.Server.RecentLog);

        // The private key is in no response, no log line, and not in plain in the database.
        string everything = string.Join("\n", responses) + access.Server.RecentLog();
        Assert.DoesNotContain(privateBase64[..40], everything, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", everything, StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(access.Server.DataDir, "bollard.db*"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            byte[] db = copy.ToArray();
            Assert.True(db.AsSpan().IndexOf(ecdsa.ExportPkcs8PrivateKey()) < 0, $"{file} holds the private key in plain");
        }
    }
}
