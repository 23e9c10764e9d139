using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.Trust.Keys;
using static Bollard.IntegrationTests.Trust.PolicyTestSupport;

namespace Bollard.IntegrationTests.Trust;

/// <summary>
/// <c>GET /api/v1/repositories/{name}/manifests/{digest}/signatures</c> on the real server with access control on: every
/// signature of an image with its verification status per signer of the covering policy, the reasons of the ones that
/// do not count (unknown key, a signature copied from another image), and the rights (pull on the repository).
/// </summary>
public sealed class SignatureApiTests
{
    private static string Path(string repository, string digest) => $"/api/v1/repositories/{repository}/manifests/{digest}/signatures";

    [Fact]
    public async Task Lists_every_signature_with_who_signed_and_whether_it_counts_through_each_signer_of_the_policy()
    {
        await using var access = await AccessServer.StartAsync();
        var registry = access.Registry(access.Admin);
        var dev = LocalSigner.GenerateEcdsaP256();
        var ci = LocalSigner.GenerateEcdsaP256();
        var stranger = LocalSigner.GenerateEcdsaP256();
        var image = await AccessServer.PushImageAsync(registry, "sigapi/app", "1");

        // Without a policy nothing is an anchor, but the signature is still shown with its signer and the digest it names.
        await SignCosignAsync(registry, access.Server.HostPort, "sigapi/app", image.Digest, dev, stranger);
        using (var response = await access.AdminApi.GetAsync(Path("sigapi/app", image.Digest)))
        {
            var report = await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "signatures without a policy");
            Assert.Null(report["policy"]);
            Assert.Equal(0, report["trusted"]!.GetValue<int>());
            var signatures = report["signatures"]!.AsArray();
            Assert.Equal(2, signatures.Count);
            Assert.All(signatures, s => Assert.Equal(image.Digest, s!["signedDigest"]!.GetValue<string>()));
            Assert.All(signatures, s => Assert.Equal("Cosign", s!["format"]!.GetValue<string>()));
            // A bare cosign key signature names no signer: who signed is known only through a key that verifies it.
            Assert.All(signatures, s => Assert.Null(s!["signer"]));
        }

        await PutPolicyOkAsync(access.AdminApi, Policy("sigapi", "sigapi/**", "warn",
            new Dictionary<string, LocalSigner> { ["dev"] = dev, ["ci"] = ci }, new JsonObject { ["allOf"] = new JsonArray("dev", "ci") }));
        using (var response = await access.AdminApi.GetAsync(Path("sigapi/app", image.Digest)))
        {
            var report = await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "signatures under a policy");
            Assert.Equal("sigapi", report["policy"]!.GetValue<string>());
            Assert.Equal(["dev", "ci"], report["signers"]!.AsArray().Select(n => n!.GetValue<string>()));
            Assert.Equal(1, report["trusted"]!.GetValue<int>());
            var signatures = report["signatures"]!.AsArray();
            Assert.Equal(["dev"], signatures[0]!["trustedBy"]!.AsArray().Select(n => n!.GetValue<string>()));
            Assert.Empty(signatures[1]!["trustedBy"]!.AsArray());
            Assert.Equal(dev.PublicKey.Fingerprint, signatures[0]!["signer"]?["keyFingerprint"]?.GetValue<string>());
            // Each signer answered for each signature, with a reason a person can read.
            Assert.All(signatures, s => Assert.Equal(2, s!["signers"]!.AsArray().Count));
            Assert.All(signatures.SelectMany(s => s!["signers"]!.AsArray()), r => Assert.False(string.IsNullOrWhiteSpace(r!["reason"]!.GetValue<string>())));
        }
    }

    [Fact]
    public async Task A_signature_copied_from_another_image_is_shown_with_the_digest_it_names_and_does_not_count()
    {
        await using var access = await AccessServer.StartAsync();
        var registry = access.Registry(access.Admin);
        var dev = LocalSigner.GenerateEcdsaP256();
        var victim = await AccessServer.PushImageAsync(registry, "sigcopy/app", "1");
        var signed = await AccessServer.PushImageAsync(registry, "sigcopy/app", "2");
        await PutPolicyOkAsync(access.AdminApi, Policy("sigcopy", "sigcopy/**", "enforce", new Dictionary<string, LocalSigner> { ["dev"] = dev }, JsonValue.Create("dev")));

        // dev really signed image 2; its .sig manifest is put under image 1's tag as well.
        await SignCosignAsync(registry, access.Server.HostPort, "sigcopy/app", signed.Digest, dev);
        string signedSig = signed.Digest.Replace(':', '-') + ".sig";
        using (var get = new HttpRequestMessage(HttpMethod.Get, $"/v2/sigcopy/app/manifests/{signedSig}"))
        {
            get.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
            using var sig = await registry.SendAsync(get);
            Assert.Equal(HttpStatusCode.OK, sig.StatusCode);
            byte[] body = await sig.Content.ReadAsByteArrayAsync();
            using var put = await registry.PutManifestAsync("sigcopy/app", victim.Digest.Replace(':', '-') + ".sig", body, "application/vnd.oci.image.manifest.v1+json");
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using var response = await access.AdminApi.GetAsync(Path("sigcopy/app", victim.Digest));
        var report = await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "signatures of the victim");
        Assert.Equal(0, report["trusted"]!.GetValue<int>());
        var signature = Assert.Single(report["signatures"]!.AsArray())!;
        Assert.Equal(signed.Digest, signature["signedDigest"]!.GetValue<string>());
        Assert.Contains(signature["problems"]!.AsArray(), p => p!.GetValue<string>().Contains(signed.Digest, StringComparison.Ordinal));

        using var real = await access.AdminApi.GetAsync(Path("sigcopy/app", signed.Digest));
        var realReport = await AccessServer.ExpectAsync(real, HttpStatusCode.OK, "signatures of the signed image");
        Assert.Equal(1, realReport["trusted"]!.GetValue<int>());
    }

    [Fact]
    public async Task Needs_pull_on_the_repository_and_answers_404_for_a_manifest_it_does_not_hold()
    {
        await using var access = await AccessServer.StartAsync();
        var registry = access.Registry(access.Admin);
        var image = await AccessServer.PushImageAsync(registry, "sigrights/app", "1");
        var outsider = await access.CreateUserWithRoleAsync(AccessServer.Unique("out"), "developer", "elsewhere/**");
        var reader = await access.CreateUserWithRoleAsync(AccessServer.Unique("rd"), "reader", "sigrights/**");

        using (var refused = await access.Api(outsider).GetAsync(Path("sigrights/app", image.Digest)))
            Assert.True(refused.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"outsider: {(int)refused.StatusCode}");
        using (var anonymous = await access.Api(null).GetAsync(Path("sigrights/app", image.Digest)))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using (var ok = await access.Api(reader).GetAsync(Path("sigrights/app", image.Digest)))
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        string absent = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("absent")));
        using (var missing = await access.AdminApi.GetAsync(Path("sigrights/app", absent)))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using (var notADigest = await access.AdminApi.GetAsync("/api/v1/repositories/sigrights/app/manifests/latest/signatures"))
            Assert.Equal(HttpStatusCode.NotFound, notADigest.StatusCode);
    }
}
