using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.Core.Oci;
using Bollard.Trust.Keys;
using Bollard.Trust.Signatures;
using Bollard.Trust.Sigstore;

namespace Bollard.Trust.Tests.Sigstore;

public sealed class SigstoreBundleVerifierTests
{
    private static readonly Digest VectorDigest = Digest.Parse("sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4");
    private static readonly Digest Image = Digest.Sha256Of("an image manifest"u8);
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 5, 0, 0, TimeSpan.Zero);
    private readonly SigstoreBundleVerifier _verifier = new();

    private static string PublicGoodRoot => TestData.Text("signing", "cosign", "trusted_root_pgi.json");

    private static byte[] Vector => TestData.Bytes("signing", "cosign", "oci-attestation.sigstore.json");

    internal static FoundSignature Found(byte[] bundle, Digest subject) => new()
    {
        Format = SignatureFormat.SigstoreBundle,
        Repository = "team/app",
        Subject = subject,
        SignatureManifest = Digest.Sha256Of(bundle),
        LayerDigest = Digest.Sha256Of(bundle),
        MediaType = SigstoreBundle.MediaTypeV03,
        Content = bundle,
    };

    private SignatureVerdict Verify(byte[] bundle, Digest expected, params TrustAnchor[] anchors) =>
        _verifier.Verify(Found(bundle, expected), new VerificationRequest(expected, "team/app", anchors, Now));

    private static IdentityAnchor Cody(string? trustedRoot = null) => new("cody")
    {
        Issuer = "https://github.com/login/oauth",
        Subject = "cody@soyland.com",
        TrustedRootJson = trustedRoot ?? PublicGoodRoot,
    };

    [Fact]
    public void The_real_cosign_attestation_verifies_with_the_public_good_root_at_its_logged_time()
    {
        var verdict = Verify(Vector, VectorDigest, Cody(), new IdentityAnchor("someone-else") { Subject = "mallory@example.com", TrustedRootJson = PublicGoodRoot });

        Assert.Empty(verdict.Problems);
        Assert.Equal("sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4", verdict.SignedDigest);
        Assert.Equal("127.0.0.1:60943/repo", verdict.SignedReference);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1740770291), verdict.SignedAt);
        Assert.True(verdict.TimestampVerified);
        Assert.Equal("https://github.com/login/oauth", verdict.Signer!.OidcIssuer);
        Assert.Contains("cody@soyland.com", verdict.Signer.SubjectAlternativeNames);
        var cody = verdict.Anchors[0];
        Assert.True(cody.Trusted, cody.Reason);
        Assert.Contains("sigstore", cody.Reason, StringComparison.Ordinal);
        Assert.Contains("2025-02-28 19:18:11Z", cody.Reason, StringComparison.Ordinal);
        Assert.Contains("predicate https://cosign.sigstore.dev/attestation/v1", cody.Reason, StringComparison.Ordinal);
        Assert.False(verdict.Anchors[1].Trusted);
        Assert.Contains("is not 'mallory@example.com'", verdict.Anchors[1].Reason, StringComparison.Ordinal);
        Assert.Equal(["cody"], verdict.TrustedBy);
    }

    [Fact]
    public void The_vectors_inclusion_proof_and_checkpoint_verify()
    {
        var bundle = SigstoreBundle.Parse(Vector);
        var root = TrustedRoot.Parse(PublicGoodRoot);
        var entry = Assert.Single(bundle.VerificationMaterial.TlogEntries);
        var proof = entry.InclusionProof!;
        byte[]? computed = TlogEntryVerifier.RootFromInclusionProof(proof.LogIndex, proof.TreeSize, TlogEntryVerifier.LeafHash(entry.CanonicalizedBody), proof.Hashes);
        Assert.Equal(proof.RootHash, computed);

        var result = TlogEntryVerifier.Verify(entry, root, bundle, bundle.VerificationMaterial.Leaf!.RawData);
        Assert.True(result.Logged, result.Reason);
        Assert.Contains("signed entry timestamp verifies", result.Reason, StringComparison.Ordinal);
        Assert.Contains("inclusion proof and signed checkpoint verify", result.Reason, StringComparison.Ordinal);

        // One bit off in the path, and the proof leads elsewhere.
        var bent = proof with { Hashes = [.. proof.Hashes.Select((h, i) => i == 3 ? h.Select((b, j) => j == 0 ? (byte)(b ^ 1) : b).ToArray() : h)] };
        Assert.NotEqual(proof.RootHash, TlogEntryVerifier.RootFromInclusionProof(bent.LogIndex, bent.TreeSize, TlogEntryVerifier.LeafHash(entry.CanonicalizedBody), bent.Hashes));
    }

    [Fact]
    public void The_vector_over_another_digest_is_a_problem_and_counts_nowhere()
    {
        var verdict = Verify(Vector, Image, Cody());
        Assert.Contains($"not the image {Image}", Assert.Single(verdict.Problems), StringComparison.Ordinal);
        Assert.Equal(VectorDigest.ToString(), verdict.SignedDigest);
        Assert.False(verdict.Anchors[0].Trusted);
        Assert.StartsWith("not counted: the in-toto statement's subjects name sha256:7321", verdict.Anchors[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_modified_DSSE_payload_does_not_verify()
    {
        var json = JsonNode.Parse(Vector)!;
        string payload = Encoding.UTF8.GetString(Convert.FromBase64String((string)json["dsseEnvelope"]!["payload"]!));
        json["dsseEnvelope"]!["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload.Replace("\\\"bar\\\"", "\\\"baz\\\"", StringComparison.Ordinal)));
        var verdict = Verify(Encoding.UTF8.GetBytes(json.ToJsonString()), VectorDigest, Cody());
        Assert.Contains("the signature does not verify with the key of the bundle's certificate", Assert.Single(verdict.Problems), StringComparison.Ordinal);
        Assert.False(verdict.Anchors[0].Trusted);
    }

    [Fact]
    public void A_tampered_SET_proves_no_time_so_the_expired_certificate_is_refused()
    {
        var json = JsonNode.Parse(Vector)!;
        var promise = json["verificationMaterial"]!["tlogEntries"]![0]!["inclusionPromise"]!;
        byte[] set = Convert.FromBase64String((string)promise["signedEntryTimestamp"]!);
        set[^1] ^= 0x01;
        promise["signedEntryTimestamp"] = Convert.ToBase64String(set);
        var verdict = Verify(Encoding.UTF8.GetBytes(json.ToJsonString()), VectorDigest, Cody());
        var result = Assert.Single(verdict.Anchors);
        Assert.False(result.Trusted);
        Assert.Contains("is not valid at 2026-12-02 05:00:00Z", result.Reason, StringComparison.Ordinal);
        Assert.Contains("signed entry timestamp does not verify", result.Reason, StringComparison.Ordinal);
        Assert.False(verdict.TimestampVerified);
    }

    [Fact]
    public void A_root_without_the_issuing_authority_does_not_trust_the_certificate()
    {
        var root = JsonNode.Parse(PublicGoodRoot)!;
        root["certificateAuthorities"]!.AsArray().RemoveAt(1);
        var verdict = Verify(Vector, VectorDigest, Cody(root.ToJsonString()));
        Assert.False(verdict.Anchors[0].Trusted);
        Assert.Contains("is not trusted at 2025-02-28 19:18:11Z", verdict.Anchors[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bundle_signed_with_a_key_counts_through_that_key_only()
    {
        var signer = LocalSigner.GenerateEcdsaP256();
        var other = LocalSigner.GenerateEcdsaP256();
        var artifact = Assert.IsType<ReferrerArtifact>(new SigstoreBundleProducer().Create(new SigningInput("registry.test:5000", "team/app", Image, "application/vnd.oci.image.manifest.v1+json", 100, Now), signer));

        var verdict = Verify(artifact.Envelope, Image, new KeyAnchor("dev", signer.PublicKeyPem), new KeyAnchor("ops", other.PublicKeyPem), Cody());
        Assert.Empty(verdict.Problems);
        Assert.True(verdict.Anchors[0].Trusted, verdict.Anchors[0].Reason);
        Assert.Equal("verified with key dev (ECDSA P-256, DSSE in-toto statement (predicate https://sigstore.dev/cosign/sign/v1) over " + Image + ")", verdict.Anchors[0].Reason);
        Assert.False(verdict.Anchors[1].Trusted);
        Assert.Equal("the signature does not verify with key ops (ECDSA P-256)", verdict.Anchors[1].Reason);
        Assert.Equal("the bundle is signed with a bare key, not a certificate", verdict.Anchors[2].Reason);
        Assert.Equal(signer.KeyFingerprint, verdict.Signer!.KeyFingerprint);
        Assert.Equal("registry.test:5000/team/app", verdict.SignedReference);
        Assert.Null(verdict.SignedAt);

        var elsewhere = Verify(artifact.Envelope, Digest.Sha256Of("another image"u8), new KeyAnchor("dev", signer.PublicKeyPem));
        Assert.False(elsewhere.Anchors[0].Trusted);
        Assert.Contains("not the image", Assert.Single(elsewhere.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void The_producer_makes_a_cosign_v3_style_referrer()
    {
        var signer = LocalSigner.GenerateEcdsaP256();
        var input = new SigningInput("registry.test", "team/app", Image, "application/vnd.oci.image.manifest.v1+json", 100, Now) { Annotations = new Dictionary<string, string> { ["env"] = "prod" } };
        var artifact = Assert.IsType<ReferrerArtifact>(new SigstoreBundleProducer().Create(input, signer));
        Assert.Equal(SignatureFormat.SigstoreBundle, artifact.Format);
        Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", artifact.ArtifactType);
        Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", artifact.LayerMediaType);
        Assert.Equal("dsse-envelope", artifact.ManifestAnnotations["dev.sigstore.bundle.content"]);
        Assert.Equal("https://sigstore.dev/cosign/sign/v1", artifact.ManifestAnnotations["dev.sigstore.bundle.predicateType"]);
        Assert.Equal("2026-12-02T05:00:00.000Z", artifact.ManifestAnnotations["org.opencontainers.image.created"]);

        var bundle = SigstoreBundle.Parse(artifact.Envelope);
        Assert.Equal(3, bundle.MinorVersion);
        Assert.Empty(bundle.VerificationMaterial.TlogEntries);
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(signer.PublicKey.SubjectPublicKeyInfo)), bundle.VerificationMaterial.PublicKeyHint);
        var statement = InTotoStatement.Parse(bundle.DsseEnvelope!.Payload);
        Assert.Equal("https://in-toto.io/Statement/v1", statement.Type);
        var subject = Assert.Single(statement.Subjects);
        Assert.Equal("registry.test/team/app", subject.Name);
        Assert.Equal(Image.Hex, subject.Digests["sha256"]);
        Assert.Contains("\"annotations\":{\"env\":\"prod\"}", Encoding.UTF8.GetString(bundle.DsseEnvelope.Payload), StringComparison.Ordinal);
    }

    [Fact]
    public void Ed25519_and_RSA_signers_round_trip()
    {
        using var rsa = RSA.Create(2048);
        foreach (var signer in new[] { LocalSigner.FromPem(Ed25519Pem()), LocalSigner.FromPkcs8(rsa.ExportPkcs8PrivateKey(), rsaPss: true, []) })
        {
            var artifact = (ReferrerArtifact)new SigstoreBundleProducer().Create(new SigningInput("r", "team/app", Image, "application/vnd.oci.image.manifest.v1+json", 1, Now), signer);
            var verdict = Verify(artifact.Envelope, Image, new KeyAnchor("k", signer.PublicKeyPem));
            Assert.True(verdict.Anchors[0].Trusted, verdict.Anchors[0].Reason);
        }
    }

    private static string Ed25519Pem()
    {
        var generator = new Org.BouncyCastle.Crypto.Generators.Ed25519KeyPairGenerator();
        generator.Init(new Org.BouncyCastle.Crypto.Parameters.Ed25519KeyGenerationParameters(new Org.BouncyCastle.Security.SecureRandom()));
        var pair = generator.GenerateKeyPair();
        byte[] pkcs8 = Org.BouncyCastle.Pkcs.PrivateKeyInfoFactory.CreatePrivateKeyInfo(pair.Private).GetDerEncoded();
        return PemEncoding.WriteString("PRIVATE KEY", pkcs8);
    }

    [Fact]
    public void A_message_signature_binds_the_manifest_digest()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] manifest = "an image manifest"u8.ToArray();
        byte[] signature = key.SignData(manifest, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        string pem = key.ExportSubjectPublicKeyInfoPem();
        byte[] Bundle(byte[] digest) => Encoding.UTF8.GetBytes($$$"""
            {"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.2","verificationMaterial":{"publicKey":{"hint":"k"},"tlogEntries":[]},
             "messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"{{{Convert.ToBase64String(digest)}}}"},"signature":"{{{Convert.ToBase64String(signature)}}}"}}
            """);

        var verdict = Verify(Bundle(SHA256.HashData(manifest)), Image, new KeyAnchor("k", pem));
        Assert.True(verdict.Anchors[0].Trusted, verdict.Anchors[0].Reason);
        Assert.Equal(Image.ToString(), verdict.SignedDigest);

        byte[] other = SHA256.HashData("another manifest"u8);
        var elsewhere = Verify(Bundle(other), Image, new KeyAnchor("k", pem));
        Assert.Contains($"the message signature is over sha256:{Convert.ToHexStringLower(other)}, not the image {Image}", Assert.Single(elsewhere.Problems), StringComparison.Ordinal);
        Assert.False(elsewhere.Anchors[0].Trusted);
    }

    [Fact]
    public void Certificate_identities_under_a_test_CA_and_log()
    {
        using var pki = new SigstoreTestPki();
        string root = pki.TrustedRootJson();
        var signedAt = Now.AddDays(-30);
        var (leaf, key) = pki.Issue("ci@bollard.test", "https://issuer.test", signedAt.AddMinutes(-1));
        var ci = new IdentityAnchor("ci") { Issuer = "https://issuer.test", Subject = "ci@bollard.test", TrustedRootJson = root };
        var ciByPattern = new IdentityAnchor("ci-pattern") { IssuerRegex = "https://issuer\\.(test|example)", SubjectRegex = ".*@bollard\\.test", TrustedRootJson = root };
        var developer = new IdentityAnchor("developer") { Issuer = "https://issuer.test", Subject = "dev@bollard.test", TrustedRootJson = root };
        var otherIssuer = new IdentityAnchor("other-issuer") { Issuer = "https://accounts.example", Subject = "ci@bollard.test", TrustedRootJson = root };

        // Logged while the certificate was valid: it counts a month later.
        var logged = Verify(pki.DsseBundle(leaf, key, Image, signedAt), Image, ci, ciByPattern, developer, otherIssuer);
        Assert.Empty(logged.Problems);
        Assert.True(logged.Anchors[0].Trusted, logged.Anchors[0].Reason);
        Assert.True(logged.Anchors[1].Trusted, logged.Anchors[1].Reason);
        Assert.Equal("the certificate's identity 'ci@bollard.test' is not 'dev@bollard.test'", logged.Anchors[2].Reason);
        Assert.Equal("the certificate's issuer 'https://issuer.test' is not 'https://accounts.example'", logged.Anchors[3].Reason);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(signedAt.ToUnixTimeSeconds()), logged.SignedAt);
        Assert.True(logged.TimestampVerified);

        // Expired, and nothing proves when it was used.
        var unlogged = Verify(pki.DsseBundle(leaf, key, Image, null), Image, ci, ci with { Name = "lenient", RequireTimestampForExpired = false });
        Assert.False(unlogged.Anchors[0].Trusted);
        Assert.Contains("the bundle has no transparency log entry or RFC 3161 timestamp", unlogged.Anchors[0].Reason, StringComparison.Ordinal);
        Assert.True(unlogged.Anchors[1].Trusted, unlogged.Anchors[1].Reason);

        // A SET that does not verify proves nothing.
        var forged = Verify(pki.DsseBundle(leaf, key, Image, signedAt, set => { set[^1] ^= 1; return set; }), Image, ci);
        Assert.False(forged.Anchors[0].Trusted);
        Assert.Contains("signed entry timestamp does not verify", forged.Anchors[0].Reason, StringComparison.Ordinal);

        // Logged after the certificate expired: the proven time is outside its validity.
        var late = Verify(pki.DsseBundle(leaf, key, Image, signedAt.AddHours(1)), Image, ci);
        Assert.False(late.Anchors[0].Trusted);
        Assert.Contains("is not valid at", late.Anchors[0].Reason, StringComparison.Ordinal);

        // Another CA's certificate with the same identity.
        using var rogue = new SigstoreTestPki("rogue-fulcio");
        var (rogueLeaf, rogueKey) = rogue.Issue("ci@bollard.test", "https://issuer.test", Now.AddMinutes(-1));
        var untrusted = Verify(rogue.DsseBundle(rogueLeaf, rogueKey, Image, null), Image, ci);
        Assert.False(untrusted.Anchors[0].Trusted);
        Assert.Contains("does not chain to a trusted root", untrusted.Anchors[0].Reason, StringComparison.Ordinal);

        // The same, through PEM roots instead of a trusted root, while the certificate is valid.
        var (fresh, freshKey) = pki.Issue("ci@bollard.test", "https://issuer.test", Now.AddMinutes(-1));
        var pem = new IdentityAnchor("pem") { Subject = "ci@bollard.test", RootsPem = [pki.Root.ExportCertificatePem()] };
        Assert.True(Verify(pki.DsseBundle(fresh, freshKey, Image, null), Image, pem).Anchors[0].Trusted);
        Assert.False(Verify(rogue.DsseBundle(rogueLeaf, rogueKey, Image, null), Image, pem).Anchors[0].Trusted);

        // A leaf without the code-signing EKU.
        var (plain, plainKey) = pki.Issue("ci@bollard.test", "https://issuer.test", Now.AddMinutes(-1), codeSigning: false);
        Assert.Contains("code-signing", Verify(pki.DsseBundle(plain, plainKey, Image, null), Image, ci).Anchors[0].Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "the bundle is malformed: the bundle is not JSON")]
    [InlineData("[]", "the bundle is malformed: the bundle is not a JSON object")]
    [InlineData("""{"mediaType":"application/vnd.dev.sigstore.bundle.v9+json"}""", "bundle media type 'application/vnd.dev.sigstore.bundle.v9+json' is not supported")]
    [InlineData("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{}}""", "has no publicKey, x509CertificateChain or certificate")]
    [InlineData("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}}}""", "has neither a messageSignature nor a dsseEnvelope")]
    [InlineData("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[]}}""", "bundle.dsseEnvelope.signatures is empty")]
    [InlineData("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}},"dsseEnvelope":{"payload":"e30=","payloadType":"text/plain","signatures":[{"sig":"AA=="}]}}""", "the DSSE payload type is 'text/plain'")]
    [InlineData("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}}""", "the in-toto statement has no _type")]
    [InlineData("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{},"tlogEntries":[{"logId":{"keyId":"AA=="},"kindVersion":{"kind":"dsse","version":"0.0.1"}}]},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}}""", "tlogEntries[0].inclusionProof is required in a v0.3 bundle")]
    [InlineData("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"certificate":{"rawBytes":"AAAA"}},"dsseEnvelope":{}}""", "bundle.verificationMaterial.certificate is not a DER X.509 certificate")]
    public void Malformed_bundles_are_refused_with_the_reason(string json, string expected)
    {
        var verdict = Verify(Encoding.UTF8.GetBytes(json), Image, new KeyAnchor("k", LocalSigner.GenerateEcdsaP256().PublicKeyPem));
        Assert.Contains(expected, Assert.Single(verdict.Problems), StringComparison.Ordinal);
        Assert.False(verdict.Anchors[0].Trusted);
        Assert.StartsWith("not counted: ", verdict.Anchors[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_bundles_and_bad_anchors_are_refused_without_throwing()
    {
        var huge = Verify(new byte[SigstoreBundle.MaxBytes + 1], Image, new KeyAnchor("k", "x"));
        Assert.Contains("larger than", Assert.Single(huge.Problems), StringComparison.Ordinal);

        var signer = LocalSigner.GenerateEcdsaP256();
        var artifact = (ReferrerArtifact)new SigstoreBundleProducer().Create(new SigningInput("r", "team/app", Image, "m", 1, Now), signer);
        var verdict = Verify(artifact.Envelope, Image, new KeyAnchor("junk", "not a key"), new IdentityAnchor("bad-root") { TrustedRootJson = "{" }, new NotationAnchor("notation"));
        Assert.Contains("key junk is not a usable public key", verdict.Anchors[0].Reason, StringComparison.Ordinal);
        Assert.Equal("the bundle is signed with a bare key, not a certificate", verdict.Anchors[1].Reason);
        Assert.Contains("does not apply to Sigstore bundles", verdict.Anchors[2].Reason, StringComparison.Ordinal);

        var badRoot = Verify(Vector, VectorDigest, new IdentityAnchor("bad-root") { TrustedRootJson = "{" }, Cody() with { SubjectRegex = "(" });
        Assert.Contains("the anchor's trusted root is unusable: the trusted root is not JSON", badRoot.Anchors[0].Reason, StringComparison.Ordinal);
        Assert.Contains("is not a valid regular expression", badRoot.Anchors[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Is_registered()
    {
        Assert.IsType<SigstoreBundleVerifier>(SignatureVerifiers.For(SignatureFormat.SigstoreBundle));
        Assert.IsType<SigstoreBundleProducer>(SignatureVerifiers.ProducerFor(SignatureFormat.SigstoreBundle));
    }
}
