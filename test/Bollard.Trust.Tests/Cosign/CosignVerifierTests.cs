using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Bollard.Core.Oci;
using Bollard.Trust.Cosign;
using Bollard.Trust.Keys;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Tests.Cosign;

public sealed class CosignVerifierTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 5, 0, 0, TimeSpan.Zero);
    private static readonly CosignVerifier Verifier = new();

    /// <summary>The key of the key-rekor vector: <c>cimage/cosign2.pub</c> (the public key its Rekor entry records); <c>cimage/cosign.pub</c> is the single sample's.</summary>
    private static KeyAnchor CosignKey => new("dev", TestData.Text("signing", "cimage", "cosign2.pub"));

    private static IdentityAnchor Pki => new("team-a")
    {
        Subject = "qiwan@redhat.com",
        RootsPem = [TestData.Text("signing", "cimage", "pki_root_crts.pem")],
        IntermediatesPem = [TestData.Text("signing", "cimage", "pki_intermediates_crt.pem")],
    };

    private static IdentityAnchor Fulcio => new("mitr")
    {
        Issuer = "https://github.com/login/oauth",
        Subject = "mitr@redhat.com",
        RootsPem = [TestData.Text("signing", "cimage", "fulcio_v1.crt.pem")],
        TransparencyLogKeysPem = [CosignVectors.RekorPublicKeyPem()],
    };

    private static SignatureVerdict Verify(FoundSignature found, string repository, params TrustAnchor[] anchors) =>
        Verifier.Verify(found, new VerificationRequest(found.Subject, repository, anchors, Now));

    private static AnchorResult Single(SignatureVerdict verdict) => Assert.Single(verdict.Anchors);

    [Fact]
    public void KeyRekorVector_WithItsKey_Counts()
    {
        var found = CosignVectors.Cimage("key-rekor-valid");

        var verdict = Verify(found, "cosign-signed/key-1", CosignKey);

        Assert.Empty(verdict.Problems);
        var result = Single(verdict);
        Assert.True(result.Trusted, result.Reason);
        Assert.StartsWith("verified with key dev (ECDSA P-256, SHA256", result.Reason, StringComparison.Ordinal);
        Assert.Equal(["dev"], verdict.TrustedBy);
        Assert.Equal("sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a", verdict.SignedDigest);
        Assert.Equal("192.168.64.2:5000/cosign-signed/key-1", verdict.SignedReference);
        Assert.Equal(VerificationKey.FromPem(CosignKey.PublicKeyPem).Fingerprint, verdict.Signer!.KeyFingerprint);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1674251859), verdict.SignedAt);
        Assert.False(verdict.TimestampVerified); // no transparency-log key was given
    }

    [Fact]
    public void KeyRekorVector_TimestampIsVerifiedWhenALogKeyIsGiven_ButABareKeyIsNoIdentity()
    {
        var verdict = Verify(CosignVectors.Cimage("key-rekor-valid"), "cosign-signed/key-1", CosignKey, Fulcio);

        Assert.True(verdict.TimestampVerified);
        Assert.True(verdict.Anchors[0].Trusted);
        Assert.False(verdict.Anchors[1].Trusted);
        Assert.Contains("signed with a bare key, not a certificate", verdict.Anchors[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SingleSample_WithItsKey_Counts()
    {
        var found = CosignVectors.SingleSample();
        Assert.Equal(TestData.Bytes("signing", "sig.der"), Convert.FromBase64String(found.Annotations[CosignAnnotations.Signature]));

        var verdict = Verify(found, "cosign-signed-single-sample", new KeyAnchor("dev", TestData.Text("signing", "cosign.pub")));

        Assert.True(Single(verdict).Trusted, Single(verdict).Reason);
        Assert.Null(verdict.SignedAt);
    }

    [Fact]
    public void PkiVector_ChainedToItsRoot_CountsWithTheIdentity()
    {
        var verdict = Verify(CosignVectors.Cimage("pki-valid"), "test", Pki);

        var result = Single(verdict);
        Assert.True(result.Trusted, result.Reason);
        Assert.Contains("verified with certificate subject qiwan@redhat.com (RSA-4096 PKCS#1 v1.5, SHA256)", result.Reason, StringComparison.Ordinal);
        Assert.Contains("chained to CN=Linuxera Root Certificate Authority", result.Reason, StringComparison.Ordinal);
        Assert.Contains("valid now", result.Reason, StringComparison.Ordinal);
        Assert.Equal(["qiwan@redhat.com"], verdict.Signer!.SubjectAlternativeNames);
        Assert.Contains("CN=Team A Cosign Certificate", verdict.Signer.CertificateSubject, StringComparison.Ordinal);
    }

    [Fact]
    public void PkiVector_SubjectByCommonNameOrRegex_Counts()
    {
        var found = CosignVectors.Cimage("pki-valid");
        Assert.True(Single(Verify(found, "test", Pki with { Subject = "Team A Cosign Certificate" })).Trusted);
        Assert.True(Single(Verify(found, "test", Pki with { Subject = null, SubjectRegex = @"[a-z]+@redhat\.com" })).Trusted);
    }

    [Fact]
    public void FulcioVector_ExpiredLeaf_CountsThroughTheRekorTimestamp()
    {
        var verdict = Verify(CosignVectors.Cimage("fulcio-rekor-valid"), "cosign-signed/fulcio-rekor-1", Fulcio);

        var result = Single(verdict);
        Assert.True(result.Trusted, result.Reason);
        Assert.Contains("subject mitr@redhat.com, issuer https://github.com/login/oauth", result.Reason, StringComparison.Ordinal);
        Assert.Contains("used at 2023-01-20 20:51:33Z", result.Reason, StringComparison.Ordinal);
        Assert.True(verdict.TimestampVerified);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1674247893), verdict.SignedAt);
        Assert.Equal("https://github.com/login/oauth", verdict.Signer!.OidcIssuer);
    }

    [Fact]
    public void FulcioVector_WithThePublicGoodTrustedRoot_Counts()
    {
        var anchor = new IdentityAnchor("mitr")
        {
            Issuer = "https://github.com/login/oauth",
            Subject = "mitr@redhat.com",
            TrustedRootJson = TestData.Text("signing", "cosign", "trusted_root_pgi.json"),
        };

        var verdict = Verify(CosignVectors.Cimage("fulcio-rekor-valid"), "cosign-signed/fulcio-rekor-1", anchor);

        Assert.True(Single(verdict).Trusted, Single(verdict).Reason);
        Assert.Contains("as https://rekor.sigstore.dev proves", Single(verdict).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FulcioVector_WrongIdentity_DoesNotCount()
    {
        var found = CosignVectors.Cimage("fulcio-rekor-valid");

        var subject = Single(Verify(found, "cosign-signed/fulcio-rekor-1", Fulcio with { Subject = "release@example.com" }));
        var issuer = Single(Verify(found, "cosign-signed/fulcio-rekor-1", Fulcio with { Issuer = "https://accounts.google.com" }));

        Assert.False(subject.Trusted);
        Assert.Equal("the certificate is not identity mitr: wanted subject release@example.com, but the certificate names mitr@redhat.com", subject.Reason);
        Assert.False(issuer.Trusted);
        Assert.Equal("the certificate is not identity mitr: wanted issuer https://accounts.google.com, but the certificate's issuer is https://github.com/login/oauth", issuer.Reason);
    }

    // ---- attack cases: each is reported with its reason and does not count ----

    [Fact]
    public void UnknownKey_DoesNotCount()
    {
        var verdict = Verify(CosignVectors.Cimage("key-rekor-valid"), "cosign-signed/key-1", new KeyAnchor("other", TestData.Text("signing", "cimage", "cosign.pub")));

        var result = Single(verdict);
        Assert.False(result.Trusted);
        Assert.StartsWith("the signature does not verify with key other (ECDSA P-256, sha256:", result.Reason, StringComparison.Ordinal);
        Assert.Empty(verdict.TrustedBy);
    }

    [Fact]
    public void PayloadOverAnotherDigest_DoesNotCount()
    {
        var found = CosignVectors.Cimage("key-rekor-valid");
        var other = Digest.Sha256Of("another image"u8);

        var verdict = Verifier.Verify(found, new VerificationRequest(other, "cosign-signed/key-1", [CosignKey], Now));

        string problem = Assert.Single(verdict.Problems);
        Assert.Equal($"the payload signs sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a, not the image {other}", problem);
        var result = Single(verdict);
        Assert.False(result.Trusted);
        Assert.StartsWith("verified with key dev", result.Reason, StringComparison.Ordinal);
        Assert.EndsWith("but it does not count: " + problem, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void OneModifiedPayloadByte_DoesNotVerify()
    {
        var found = CosignVectors.Cimage("key-rekor-valid");
        byte[] payload = found.Content.ToArray();
        int at = Encoding.UTF8.GetString(payload).IndexOf("\"optional\":null", StringComparison.Ordinal) - 1;
        payload = [.. payload[..at], (byte)' ', .. payload[at..]]; // still valid JSON, same meaning, other bytes
        var modified = found with { Content = payload };

        var verdict = Verify(modified, "cosign-signed/key-1", CosignKey);

        Assert.Empty(verdict.Problems);
        Assert.False(Single(verdict).Trusted);
        Assert.StartsWith("the signature does not verify with key dev", Single(verdict).Reason, StringComparison.Ordinal);

        byte[] flipped = found.Content.ToArray();
        flipped[^3] ^= 0x01;
        Assert.False(Single(Verify(found with { Content = flipped }, "cosign-signed/key-1", CosignKey)).Trusted);
    }

    [Fact]
    public void ChainToAnUntrustedRoot_DoesNotCount()
    {
        var verdict = Verify(CosignVectors.Cimage("pki-valid"), "test", Pki with { RootsPem = [TestData.Text("signing", "cimage", "fulcio_v1.crt.pem")] });

        Assert.False(Single(verdict).Trusted);
        Assert.Contains("does not chain to a trusted root", Single(verdict).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SelfSignedRootInTheChainAnnotation_IsNotTrustedByItself()
    {
        var verdict = Verify(CosignVectors.Cimage("pki-valid"), "test", Pki with { RootsPem = [] });

        Assert.False(Single(verdict).Trusted);
        Assert.Equal("no trusted root is configured", Single(verdict).Reason);
    }

    [Fact]
    public void ExpiredLeafWithoutTimestamp_DoesNotCount()
    {
        var found = CosignVectors.Cimage("fulcio-rekor-valid").WithAnnotation(CosignAnnotations.Bundle, null);

        var verdict = Verify(found, "cosign-signed/fulcio-rekor-1", Fulcio);

        Assert.False(Single(verdict).Trusted);
        Assert.Equal(
            "the certificate expired at 2023-01-20 21:01:31Z (valid 2023-01-20 20:51:31Z to 2023-01-20 21:01:31Z), and no trusted timestamp proves it was used while valid: it has no Rekor bundle (dev.sigstore.cosign/bundle)",
            Single(verdict).Reason);
        Assert.False(verdict.TimestampVerified);
        Assert.Null(verdict.SignedAt);
    }

    [Fact]
    public void ExpiredLeafWithATimestampFromAnUntrustedLog_DoesNotCount()
    {
        var verdict = Verify(CosignVectors.Cimage("fulcio-rekor-valid"), "cosign-signed/fulcio-rekor-1",
            Fulcio with { TransparencyLogKeysPem = [TestData.Text("signing", "cimage", "cosign.pub")] });

        Assert.False(Single(verdict).Trusted);
        Assert.EndsWith("no trusted timestamp proves it was used while valid: its transparency log c0d23d6ad406… is not a trusted log", Single(verdict).Reason, StringComparison.Ordinal);

        var none = Verify(CosignVectors.Cimage("fulcio-rekor-valid"), "cosign-signed/fulcio-rekor-1", Fulcio with { TransparencyLogKeysPem = [] });
        Assert.EndsWith("no transparency-log key is configured", Single(none).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RekorBundleOfAnotherEntry_ProvesNothing()
    {
        var keySigned = CosignVectors.Cimage("key-rekor-valid");
        var found = CosignVectors.Cimage("fulcio-rekor-valid").WithAnnotation(CosignAnnotations.Bundle, keySigned.Annotations[CosignAnnotations.Bundle]);

        var verdict = Verify(found, "cosign-signed/fulcio-rekor-1", Fulcio);

        Assert.False(Single(verdict).Trusted);
        Assert.EndsWith("its log entry is for other data (the hash differs from the payload's)", Single(verdict).Reason, StringComparison.Ordinal);
        Assert.False(verdict.TimestampVerified);
    }

    [Fact]
    public void TamperedSignedEntryTimestamp_ProvesNothing()
    {
        var found = CosignVectors.Cimage("fulcio-rekor-valid");
        string bundle = found.Annotations[CosignAnnotations.Bundle].Replace("\"integratedTime\":1674247893", "\"integratedTime\":1674247894", StringComparison.Ordinal);

        var verdict = Verify(found.WithAnnotation(CosignAnnotations.Bundle, bundle), "cosign-signed/fulcio-rekor-1", Fulcio);

        Assert.False(Single(verdict).Trusted);
        Assert.EndsWith("its signed entry timestamp does not verify with the key of transparency log c0d23d6ad406…", Single(verdict).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Sha1SignedCertificate_DoesNotCount()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=SHA-1 CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(Now.AddDays(-1), Now.AddYears(1));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=old-signer", leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddEmailAddress("old@example.com");
        leafRequest.CertificateExtensions.Add(san.Build());
        // The CA signs the leaf with sha1WithRSAEncryption (.NET's own generators refuse SHA-1, so the test brings one).
        using var leaf = leafRequest.Create(ca.SubjectName, new Sha1RsaGenerator(caKey), Now.AddHours(-1), Now.AddHours(1), [1, 2, 3]);
        Assert.Equal("1.2.840.113549.1.1.5", leaf.SignatureAlgorithm.Value);
        var signer = LocalSigner.FromPem(leafKey.ExportPkcs8PrivateKeyPem(), certificateChainPem: [leaf.ExportCertificatePem()]);
        var layer = (CosignLayer)new CosignProducer().Create(new SigningInput("registry.test", "team/app", Digest.Sha256Of("image"u8), "application/vnd.oci.image.manifest.v1+json", 5, Now), signer);
        var found = CosignVectors.Found(layer.Payload, layer.Annotations, Digest.Sha256Of("image"u8));

        var verdict = Verify(found, "team/app", new IdentityAnchor("old") { Subject = "old@example.com", RootsPem = [ca.ExportCertificatePem()] });

        Assert.False(Single(verdict).Trusted);
        Assert.Equal("certificate CN=old-signer is signed with SHA-1, which is not accepted", Single(verdict).Reason);
    }

    [Fact]
    public void Sha1Signature_IsNamedAsSuch()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] payload = CosignProducer.Payload(new SigningInput("", "team/app", Digest.Sha256Of("image"u8), "m", 5, Now));
        byte[] signature = key.SignData(payload, HashAlgorithmName.SHA1, DSASignatureFormat.Rfc3279DerSequence);
        var found = CosignVectors.Found(payload, new Dictionary<string, string> { [CosignAnnotations.Signature] = Convert.ToBase64String(signature) }, Digest.Sha256Of("image"u8));

        var verdict = Verify(found, "team/app", new KeyAnchor("k", key.ExportSubjectPublicKeyInfoPem()));

        Assert.False(Single(verdict).Trusted);
        Assert.Equal("the signature is made with SHA-1, which is not accepted (key k)", Single(verdict).Reason);
    }

    [Fact]
    public void ManyKeys_EachIsNamed_OnceOneVerifiesTheOthersAreNotTried_AndTheSameKeyTwiceCountsTwice()
    {
        using var k1 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var k2 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var k3 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] payload = CosignProducer.Payload(new SigningInput("", "team/app", Digest.Sha256Of("image"u8), "m", 5, Now));
        byte[] signature = k2.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var found = CosignVectors.Found(payload, new Dictionary<string, string> { [CosignAnnotations.Signature] = Convert.ToBase64String(signature) }, Digest.Sha256Of("image"u8));

        var verdict = Verify(found, "team/app",
            new KeyAnchor("k1", k1.ExportSubjectPublicKeyInfoPem()), new KeyAnchor("k2", k2.ExportSubjectPublicKeyInfoPem()),
            new KeyAnchor("k3", k3.ExportSubjectPublicKeyInfoPem()), new KeyAnchor("k2-again", k2.ExportSubjectPublicKeyInfoPem()));

        Assert.Equal(["k2", "k2-again"], verdict.TrustedBy);
        Assert.StartsWith("the signature does not verify with key k1 (ECDSA P-256, sha256:", verdict.Anchors[0].Reason, StringComparison.Ordinal);
        Assert.StartsWith("verified with key k2 (", verdict.Anchors[1].Reason, StringComparison.Ordinal);
        Assert.StartsWith("the signature is key k2's (sha256:", verdict.Anchors[2].Reason, StringComparison.Ordinal);
        Assert.Contains("not key k3's (ECDSA P-256, sha256:", verdict.Anchors[2].Reason, StringComparison.Ordinal);
        Assert.False(verdict.Anchors[2].Trusted);
        Assert.True(verdict.Anchors[3].Trusted);
    }

    [Fact]
    public void Sha1Signature_AmongManyKeys_IsNamedForEachKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] payload = CosignProducer.Payload(new SigningInput("", "team/app", Digest.Sha256Of("image"u8), "m", 5, Now));
        byte[] signature = key.SignData(payload, HashAlgorithmName.SHA1, DSASignatureFormat.Rfc3279DerSequence);
        var found = CosignVectors.Found(payload, new Dictionary<string, string> { [CosignAnnotations.Signature] = Convert.ToBase64String(signature) }, Digest.Sha256Of("image"u8));

        var verdict = Verify(found, "team/app", new KeyAnchor("other", other.ExportSubjectPublicKeyInfoPem()), new KeyAnchor("k", key.ExportSubjectPublicKeyInfoPem()));

        Assert.Empty(verdict.TrustedBy);
        Assert.StartsWith("the signature does not verify with key other (", verdict.Anchors[0].Reason, StringComparison.Ordinal);
        Assert.Equal("the signature is made with SHA-1, which is not accepted (key k)", verdict.Anchors[1].Reason);
    }

    [Fact]
    public void SignatureCopiedFromAnotherRepository_DoesNotCount()
    {
        // The key-1 signature, copied with its payload into the .sig tag of the same image in another repository.
        var verdict = Verify(CosignVectors.Cimage("key-rekor-valid") with { Repository = "cosign-signed/other" }, "cosign-signed/other", CosignKey);

        Assert.Equal(
            "the payload's docker-reference '192.168.64.2:5000/cosign-signed/key-1' names repository 'cosign-signed/key-1', not 'cosign-signed/other' (a signature copied from another repository does not count)",
            Assert.Single(verdict.Problems));
        Assert.False(Single(verdict).Trusted);
    }

    [Fact]
    public void MirroredImage_TheUpstreamRepositoryNameCounts_NoOtherName()
    {
        // The key-1 image mirrored as mirror/up/cosign-signed/key-1: its payload names the upstream's repository.
        var mirrored = CosignVectors.Cimage("key-rekor-valid") with { Repository = "mirror/up/cosign-signed/key-1" };
        var request = new VerificationRequest(mirrored.Subject, "mirror/up/cosign-signed/key-1", [CosignKey], Now);

        Assert.False(Single(Verifier.Verify(mirrored, request)).Trusted);
        var asUpstream = Verifier.Verify(mirrored, request with { AlsoSignedAs = ["cosign-signed/key-1"] });
        Assert.Empty(asUpstream.Problems);
        Assert.True(Single(asUpstream).Trusted, Single(asUpstream).Reason);
        var asOther = Verifier.Verify(mirrored, request with { AlsoSignedAs = ["cosign-signed/other"] });
        Assert.False(Single(asOther).Trusted);
    }

    [Theory]
    [InlineData("registry.example.com:5000/team/app", "team/app", true)]
    [InlineData("registry.example.com/team/app:v1", "team/app", true)]
    [InlineData("localhost/team/app@sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a", "team/app", true)]
    [InlineData("team/app", "team/app", true)]
    [InlineData("team/app:latest", "team/app", true)]
    [InlineData("app", "app", true)]
    [InlineData("registry.example.com/team/app", "app", false)]
    [InlineData("registry.example.com/team/app2", "team/app", false)]
    [InlineData("registry.example.com/other/team/app", "team/app", false)]
    [InlineData("team/Team/app", "team/app", false)]
    [InlineData("docker.io/library/busybox", "busybox", false)]
    public void DockerReference_NamesTheRepositoryUnderAnyHost(string reference, string repository, bool accepted)
    {
        Assert.Equal(accepted, CosignVerifier.ReferenceProblem(reference, repository) is null);
    }

    public static TheoryData<string, string> MalformedPayloads => new()
    {
        { "{not json", "the payload is not valid JSON" },
        { "[]", "the payload is not a JSON object" },
        { "{\"critical\":{\"type\":\"cosign container image signature\",\"image\":{\"docker-manifest-digest\":\"sha256:00\"},\"identity\":{\"docker-reference\":\"a\"},\"extra\":1},\"optional\":null}", "has an unknown member 'extra', which a verifier must refuse" },
        { "{\"critical\":{\"type\":\"cosign container image signature\",\"image\":{\"docker-manifest-digest\":\"sha256:00\",\"docker-manifest-digest\":\"sha256:11\"},\"identity\":{\"docker-reference\":\"a\"}},\"optional\":null}", "has 'docker-manifest-digest' twice" },
        { "{\"critical\":{\"type\":\"something else\",\"image\":{},\"identity\":{}},\"optional\":null}", "critical.type is 'something else', not 'cosign container image signature'" },
        { "{\"critical\":{\"type\":\"cosign container image signature\",\"identity\":{\"docker-reference\":\"a\"}}}", "has no critical.image object" },
        { "{\"critical\":{\"type\":\"cosign container image signature\",\"image\":{\"docker-manifest-digest\":\"sha256:00\"}}}", "has no critical.identity object" },
        { "{\"critical\":{\"type\":\"cosign container image signature\",\"image\":{\"docker-manifest-digest\":\"sha256:00\"},\"identity\":{}},\"optional\":null}", "has no critical.identity.docker-reference" },
        { "{\"critical\":{},\"optional\":\"x\"}", "optional member is neither an object nor null" },
        { "{\"payload\":1}", "has an unknown member 'payload'" },
    };

    [Theory]
    [MemberData(nameof(MalformedPayloads))]
    public void MalformedPayload_IsAProblemNotAnException(string payload, string reason)
    {
        var found = CosignVectors.Cimage("key-rekor-valid") with { Content = Encoding.UTF8.GetBytes(payload) };

        var verdict = Verify(found, "cosign-signed/key-1", CosignKey, Fulcio);

        Assert.Contains(verdict.Problems, p => p.Contains(reason, StringComparison.Ordinal));
        Assert.All(verdict.Anchors, a => Assert.False(a.Trusted));
        Assert.Null(verdict.SignedDigest);
    }

    [Fact]
    public void AtomicSignatureType_IsAccepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var image = Digest.Sha256Of("image"u8);
        byte[] payload = Encoding.UTF8.GetBytes($"{{\"critical\":{{\"identity\":{{\"docker-reference\":\"quay.io/team/app:v1\"}},\"image\":{{\"docker-manifest-digest\":\"{image}\"}},\"type\":\"atomic container signature\"}},\"optional\":{{\"creator\":\"skopeo\"}}}}");
        var found = CosignVectors.Found(payload, new Dictionary<string, string> { [CosignAnnotations.Signature] = Convert.ToBase64String(key.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)) }, image);

        Assert.True(Single(Verify(found, "team/app", new KeyAnchor("k", key.ExportSubjectPublicKeyInfoPem()))).Trusted);
    }

    [Theory]
    [InlineData(CosignAnnotations.Signature, null, "the layer has no dev.cosignproject.cosign/signature annotation")]
    [InlineData(CosignAnnotations.Signature, "%%% not base64 %%%", "the signature annotation is not base64")]
    [InlineData(CosignAnnotations.Signature, "AAAA", null)]
    [InlineData(CosignAnnotations.Bundle, "{not json", null)]
    [InlineData(CosignAnnotations.Bundle, "{\"SignedEntryTimestamp\":\"AAAA\",\"Payload\":{\"body\":\"!!\",\"integratedTime\":1,\"logIndex\":1,\"logID\":\"x\"}}", null)]
    [InlineData(CosignAnnotations.Certificate, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", null)]
    [InlineData(CosignAnnotations.Chain, "garbage", null)]
    public void MalformedAnnotations_NeverThrow_AndNeverCount(string annotation, string? value, string? problem)
    {
        var found = CosignVectors.Cimage("fulcio-rekor-valid").WithAnnotation(annotation, value);

        var verdict = Verify(found, "cosign-signed/fulcio-rekor-1", Fulcio, CosignKey);

        if (problem is not null) Assert.Contains(problem, verdict.Problems);
        Assert.All(verdict.Anchors, a => Assert.False(a.Trusted, a.Reason));
        Assert.All(verdict.Anchors, a => Assert.False(string.IsNullOrWhiteSpace(a.Reason)));
    }

    [Fact]
    public void WrongLayerMediaType_IsAProblem()
    {
        var found = CosignVectors.Cimage("key-rekor-valid") with { MediaType = "application/vnd.dsse.envelope.v1+json" };

        var verdict = Verify(found, "cosign-signed/key-1", CosignKey);

        Assert.Contains("not a cosign simple-signing payload", Assert.Single(verdict.Problems), StringComparison.Ordinal);
        Assert.False(Single(verdict).Trusted);
    }

    [Fact]
    public void UnusableAnchors_SayWhy()
    {
        var found = CosignVectors.Cimage("key-rekor-valid");

        var verdict = Verify(found, "cosign-signed/key-1", new KeyAnchor("broken", "not a key"), new IdentityAnchor("bad-root") { RootsPem = ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"] }, new NotationAnchor("wabbit"));

        Assert.StartsWith("key broken is not a usable public key: ", verdict.Anchors[0].Reason, StringComparison.Ordinal);
        Assert.Contains("signed with a bare key", verdict.Anchors[1].Reason, StringComparison.Ordinal);
        Assert.Equal("Notation trust store wabbit does not apply to cosign signatures", verdict.Anchors[2].Reason);
        Assert.Empty(verdict.TrustedBy);
    }

    [Fact]
    public void Registered_InSignatureVerifiers()
    {
        Assert.IsType<CosignVerifier>(SignatureVerifiers.For(SignatureFormat.Cosign));
        Assert.IsType<CosignProducer>(SignatureVerifiers.ProducerFor(SignatureFormat.Cosign));
    }

    /// <summary>Signs certificates with sha1WithRSAEncryption (1.2.840.113549.1.1.5), whatever hash the request names.</summary>
    private sealed class Sha1RsaGenerator(RSA key) : X509SignatureGenerator
    {
        public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm) =>
            [0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05, 0x05, 0x00];

        public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) => key.SignData(data, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);

        protected override PublicKey BuildPublicKey() => PublicKey.CreateFromSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _);
    }
}
