using System.Text;
using System.Text.Json.Nodes;
using Bollard.Core.Oci;
using Bollard.IntegrationTests.Support;
using Bollard.Trust.Keys;
using Bollard.Trust.Signatures;
using Bollard.Trust.Sigstore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Trust;

/// <summary>
/// Sigstore bundles against independent peers from npm (sigstore-js, installed by scripts/test.sh into
/// <c>BOLLARD_SIGSTORE_JS</c>): Bollard's bundles verify with <c>@sigstore/verify</c>; <c>@sigstore/sign</c> signs keyless-style
/// through <c>@sigstore/mock</c>'s CA, log and timestamp authority as three identities, <c>@sigstore/oci</c> attaches the bundles to
/// an image in a real Bollard server, and Bollard finds them and tells the identities apart.
/// </summary>
public sealed class SigstoreJsInteropTests(ITestOutputHelper output)
{
    private const string Repo = "team/app";
    private const string Issuer = "https://issuer.bollard.test";
    private static readonly string[] Names = ["developer", "ci", "release-approver"];

    private static string Identity(string name) => $"https://bollard.test/identities/{name}";

    [Fact]
    public async Task Bollards_bundles_verify_with_sigstore_verify_offline_and_not_for_another_digest()
    {
        using var dir = new TempFolder();
        var image = Digest.Sha256Of("an image manifest"u8);
        var other = Digest.Sha256Of("another image manifest"u8);
        foreach (var (label, signer) in new[] { ("ecdsa", LocalSigner.GenerateEcdsaP256()), ("rsa", RsaSigner()) })
        {
            var artifact = (ReferrerArtifact)new SigstoreBundleProducer().Create(
                new SigningInput("registry.test:5000", Repo, image, MediaTypes.OciManifest, 100, DateTimeOffset.UtcNow), signer);
            string bundle = dir.Write($"{label}.bundle.json", artifact.Envelope);
            string key = dir.Write($"{label}.pub", Encoding.UTF8.GetBytes(signer.PublicKeyPem));

            var ok = await NodeAsync("verify-with-key.js", bundle, key, image.Hex);
            Assert.True(ok.ExitCode == 0, ok.Describe());
            var result = JsonNode.Parse(ok.Stdout)!;
            Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", (string?)result["mediaType"]);
            Assert.Equal($"registry.test:5000/{Repo}", (string?)result["subject"]);
            Assert.Equal("https://sigstore.dev/cosign/sign/v1", (string?)result["predicateType"]);

            var elsewhere = await NodeAsync("verify-with-key.js", bundle, key, other.Hex);
            Assert.Equal(1, elsewhere.ExitCode);
            Assert.Contains($"not sha256:{other.Hex}", elsewhere.Stdout, StringComparison.Ordinal);

            string otherKey = dir.Write($"{label}.other.pub", Encoding.UTF8.GetBytes(LocalSigner.GenerateEcdsaP256().PublicKeyPem));
            var wrongKey = await NodeAsync("verify-with-key.js", bundle, otherKey, image.Hex);
            Assert.Equal(1, wrongKey.ExitCode);

            // The payload changed after signing: sigstore-js refuses it as Bollard does.
            var json = JsonNode.Parse(artifact.Envelope)!;
            string payload = Encoding.UTF8.GetString(Convert.FromBase64String((string)json["dsseEnvelope"]!["payload"]!));
            json["dsseEnvelope"]!["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload.Replace("registry.test:5000", "registry.evil:5000", StringComparison.Ordinal)));
            var tampered = await NodeAsync("verify-with-key.js", dir.Write($"{label}.tampered.json", Encoding.UTF8.GetBytes(json.ToJsonString())), key, image.Hex);
            Assert.Equal(1, tampered.ExitCode);
            Assert.Contains("signature verification failed", tampered.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Keyless_bundles_from_sigstore_sign_attached_with_sigstore_oci_are_found_and_told_apart_by_identity()
    {
        await using var server = await BollardServer.StartAsync(output: output);
        var (_, pushed) = await server.Client.PushImageAsync(Repo, "v1");
        var image = Digest.Parse(pushed);
        using var dir = new TempFolder();
        var signed = await NodeAsync("sign-with-mock.js", [dir.Path, image.Hex, $"{server.HostPort}/{Repo}", Issuer, .. Names.Select(n => $"{n}={Identity(n)}")]);
        Assert.True(signed.ExitCode == 0, signed.Describe());
        string root = File.ReadAllText(Path.Combine(dir.Path, "trusted_root.json"));
        var anchors = Names.Select(n => (TrustAnchor)new IdentityAnchor(n) { Issuer = Issuer, Subject = Identity(n), TrustedRootJson = root }).ToList();

        foreach (string name in Names)
        {
            var attached = await NodeAsync("attach-with-oci.js", $"{server.HostPort}/{Repo}", image.ToString(), Path.Combine(dir.Path, $"{name}.json"));
            Assert.True(attached.ExitCode == 0, attached.Describe());
        }

        var found = await new SignatureDiscovery(server.Services.GetRequiredService<IArtifactSource>()).FindAsync(Repo, image, CancellationToken.None);
        Assert.Empty(found.Warnings);
        var bundles = found.Signatures.Where(s => s.Format == SignatureFormat.SigstoreBundle).ToList();
        Assert.Equal(3, bundles.Count);
        Assert.All(bundles, b => Assert.Equal("dsse-envelope", b.ManifestAnnotations["dev.sigstore.bundle.content"]));

        // An hour later every certificate (ten minutes) has expired: only the log entry and the timestamp prove it was used in time.
        var later = DateTimeOffset.UtcNow.AddHours(1);
        var verifier = SignatureVerifiers.For(SignatureFormat.SigstoreBundle)!;
        var trustedBy = new List<string>();
        foreach (var bundle in bundles)
        {
            var verdict = verifier.Verify(bundle, new VerificationRequest(image, Repo, anchors, later));
            Assert.Empty(verdict.Problems);
            Assert.Equal(image.ToString(), verdict.SignedDigest);
            Assert.Equal($"{server.HostPort}/{Repo}", verdict.SignedReference);
            Assert.True(verdict.TimestampVerified);
            Assert.InRange(verdict.SignedAt!.Value, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddMinutes(1));
            string signer = Assert.Single(verdict.Signer!.SubjectAlternativeNames);
            Assert.Equal(Issuer, verdict.Signer.OidcIssuer);
            var trusted = Assert.Single(verdict.Anchors, a => a.Trusted);
            Assert.Equal(Identity(trusted.Anchor), signer);
            Assert.All(verdict.Anchors.Where(a => !a.Trusted), a => Assert.Contains($"is not '{Identity(a.Anchor)}'", a.Reason, StringComparison.Ordinal));
            trustedBy.Add(trusted.Anchor);
        }
        Assert.Equal(Names.Order(), trustedBy.Order());
        output.WriteLine(string.Join(Environment.NewLine, bundles.Select(b => verifier.Verify(b, new VerificationRequest(image, Repo, anchors, later)).Anchors.First(a => a.Trusted).Reason)));

        var ci = anchors[1];
        SignatureVerdict VerifyFile(string file, DateTimeOffset at, params TrustAnchor[] with) =>
            verifier.Verify(Found(File.ReadAllBytes(Path.Combine(dir.Path, file)), image), new VerificationRequest(image, Repo, with, at));

        // An RFC 3161 timestamp from the trusted root's authority alone proves the time.
        var tsaOnly = VerifyFile("ci.tsa-only.json", later, ci);
        Assert.True(tsaOnly.Anchors[0].Trusted, tsaOnly.Anchors[0].Reason);
        Assert.Contains("RFC 3161 timestamp", tsaOnly.Anchors[0].Reason, StringComparison.Ordinal);

        // Without a log entry or timestamp, the certificate counts while it is valid and not after.
        Assert.True(VerifyFile("ci.unwitnessed.json", DateTimeOffset.UtcNow, ci).Anchors[0].Trusted);
        var expired = VerifyFile("ci.unwitnessed.json", later, ci).Anchors[0];
        Assert.False(expired.Trusted);
        Assert.Contains("nothing the anchor trusts proves it was used within its validity", expired.Reason, StringComparison.Ordinal);

        // The ci anchor does not trust the developer's bundle, whatever proves its time.
        var developers = VerifyFile("developer.json", later, ci).Anchors[0];
        Assert.False(developers.Trusted);
        Assert.Contains($"is not '{Identity("ci")}'", developers.Reason, StringComparison.Ordinal);

        // A tampered SET and no timestamp: nothing proves the time.
        var json = JsonNode.Parse(File.ReadAllBytes(Path.Combine(dir.Path, "ci.json")))!;
        json["verificationMaterial"]!.AsObject().Remove("timestampVerificationData");
        var promise = json["verificationMaterial"]!["tlogEntries"]![0]!["inclusionPromise"]!;
        byte[] set = Convert.FromBase64String((string)promise["signedEntryTimestamp"]!);
        set[^1] ^= 1;
        promise["signedEntryTimestamp"] = Convert.ToBase64String(set);
        var forged = verifier.Verify(Found(Encoding.UTF8.GetBytes(json.ToJsonString()), image), new VerificationRequest(image, Repo, [ci], later)).Anchors[0];
        Assert.False(forged.Trusted);
        Assert.Contains("signed entry timestamp does not verify", forged.Reason, StringComparison.Ordinal);

        // Another image's digest, and a root that does not hold the mock's CA.
        var elsewhere = verifier.Verify(bundles[0], new VerificationRequest(Digest.Sha256Of("another"u8), Repo, anchors, later));
        Assert.Contains("not the image", Assert.Single(elsewhere.Problems), StringComparison.Ordinal);
        var publicGood = new IdentityAnchor("public-good") { Issuer = Issuer, Subject = Identity("ci"), TrustedRootJson = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "signing", "cosign", "trusted_root_pgi.json")) };
        // (Checked while the certificate is valid: the public-good root knows neither the mock's log nor its TSA, so later nothing would prove the time.)
        var foreign = VerifyFile("ci.json", DateTimeOffset.UtcNow, publicGood).Anchors[0];
        Assert.False(foreign.Trusted);
        Assert.Contains("does not chain to a trusted root", foreign.Reason, StringComparison.Ordinal);
    }

    private static FoundSignature Found(byte[] bundle, Digest subject) => new()
    {
        Format = SignatureFormat.SigstoreBundle,
        Repository = Repo,
        Subject = subject,
        SignatureManifest = Digest.Sha256Of(bundle),
        LayerDigest = Digest.Sha256Of(bundle),
        MediaType = SigstoreBundle.MediaTypeV03,
        Content = bundle,
    };

    private static LocalSigner RsaSigner()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        return LocalSigner.FromPkcs8(rsa.ExportPkcs8PrivateKey(), rsaPss: false, []);
    }

    /// <summary>Runs one of the sigstore-js scripts with the packages scripts/test.sh installed.</summary>
    private static Task<ToolResult> NodeAsync(string script, params string[] args)
    {
        ExternalTool.Require("node");
        string? modules = Environment.GetEnvironmentVariable("BOLLARD_SIGSTORE_JS");
        Assert.False(string.IsNullOrEmpty(modules), "BOLLARD_SIGSTORE_JS is not set: scripts/test.sh installs sigstore-js (test/Bollard.IntegrationTests/Trust/sigstore-js/package.json) and sets it");
        return ExternalTool.RunAsync("node", [System.IO.Path.Combine(ScriptsDirectory(), script), .. args],
            environment: new Dictionary<string, string> { ["NODE_PATH"] = System.IO.Path.Combine(modules, "node_modules") });
    }

    /// <summary>The scripts live in the source tree, next to the package.json they run with.</summary>
    private static string ScriptsDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "test", "Bollard.IntegrationTests", "Trust", "sigstore-js");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("test/Bollard.IntegrationTests/Trust/sigstore-js not found above " + AppContext.BaseDirectory);
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = TempDir.Create("bollard-sigstore-js-");

        public string Write(string name, byte[] content)
        {
            string file = System.IO.Path.Combine(Path, name);
            File.WriteAllBytes(file, content);
            return file;
        }

        public void Dispose()
        {
            TempDir.Delete(Path);
        }
    }
}
