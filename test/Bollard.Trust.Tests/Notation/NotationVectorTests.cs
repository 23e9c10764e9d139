using System.Buffers.Text;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bollard.Core.Oci;
using Bollard.Trust.Notation;
using Bollard.Trust.Signatures;
using static Bollard.Trust.Tests.Notation.NotationTestPki;

namespace Bollard.Trust.Tests.Notation;

/// <summary>
/// The notation-go vectors (test/testdata/signing/notation, README there). None of their certificates has expired at the
/// time of writing (2026-12): the JWS/COSE leaf "alpine" runs to 2123, the timestamped JWS's leaf to 2033-05-10, the mock
/// chain to 2122. Expiry is shown by verifying at 2035, after the timestamped leaf (and its TSA chain, 2034) expired.
/// </summary>
public sealed class NotationVectorTests
{
    private const string Dir = "signing";
    private const string Sub = "notation";

    /// <summary>The manifest the JWS and COSE vectors sign (notation-go internal/testdata/oci-layout, listed in its index.json).</summary>
    private static readonly Digest OciLayoutManifest =
        Digest.Sha256Of(TestData.Bytes(Dir, Sub, "internal_testdata_oci-layout_blobs_sha256_19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0"));

    private static readonly Digest TimestampedTarget = Digest.Parse("sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda");
    private static readonly Digest MockTarget = Digest.Parse("sha256:60043cf45eaebc4c0867fea485a039b598f52fd09fd5b07b0b2d2f88fad9d74e");

    private static readonly NotationJwsVerifier Jws = new();
    private static readonly NotationCoseVerifier Cose = new();

    private static byte[] Vector(string name) => TestData.Bytes(Dir, Sub, name);

    /// <summary>The vectors' leaf is self-signed: its trust store holds the leaf itself (as notation-go's tests configure it).</summary>
    private static NotationAnchor AlpineStore(params string[] identities) => new("alpine")
    {
        CertificatesPem = [X509CertificateLoader.LoadCertificate(Vector("jws-leaf.der")).ExportCertificatePem()],
        TrustedIdentities = identities.Length == 0 ? ["*"] : identities,
    };

    private static NotationAnchor NotationTestRoot(params string[] identities) => new("notation-test-root")
    {
        CertificatesPem = [TestData.Text(Dir, Sub, "verifier_testdata_truststore_x509_ca_valid-trust-store_NotationTestRoot.pem")],
        TrustedIdentities = identities.Length == 0 ? ["*"] : identities,
    };

    [Fact]
    public void Jws_Vector_CountsThroughItsTrustStore()
    {
        var verdict = Jws.Verify(Found(SignatureFormat.NotationJws, Vector("internal_testdata_jws_signature.sig")),
            Request(OciLayoutManifest, Now, AlpineStore("x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=alpine")));
        Assert.Empty(verdict.Problems);
        Assert.Equal(OciLayoutManifest.ToString(), verdict.SignedDigest);
        var result = Assert.Single(verdict.Anchors);
        Assert.True(result.Trusted, result.Reason);
        Assert.Contains("PS256", result.Reason, StringComparison.Ordinal);
        Assert.Equal(["alpine"], verdict.TrustedBy);
        Assert.Equal("CN=alpine, O=Notary, L=Seattle, S=WA, C=US", verdict.Signer!.CertificateSubject);
        Assert.Equal(new DateTimeOffset(2023, 3, 14, 8, 10, 2, TimeSpan.Zero), verdict.SignedAt);
        Assert.False(verdict.TimestampVerified);
    }

    [Fact]
    public void Jws_SigningInputFile_IsExactlyWhatIsVerified()
    {
        var envelope = NotationJwsVerifier.Read(Vector("internal_testdata_jws_signature.sig")).Envelope!;
        Assert.Equal(Vector("jws-signing-input"), envelope.SigningInput);
        Assert.Equal(Vector("jws-sig.bin"), envelope.Signature);
        Assert.Equal(Vector("jws-leaf.der"), envelope.Chain[0].RawData);
    }

    [Fact]
    public void Cose_Vector_CountsThroughItsTrustStore()
    {
        var verdict = Cose.Verify(Found(SignatureFormat.NotationCose, Vector("internal_testdata_cose_signature.sig")),
            Request(OciLayoutManifest, Now, AlpineStore()));
        Assert.Empty(verdict.Problems);
        Assert.Equal(OciLayoutManifest.ToString(), verdict.SignedDigest);
        Assert.True(verdict.Anchors[0].Trusted, verdict.Anchors[0].Reason);
        Assert.Equal(new DateTimeOffset(2023, 3, 14, 4, 45, 22, TimeSpan.Zero), verdict.SignedAt);
    }

    [Fact]
    public void Cose_TamperedPayloadByte_DoesNotVerify()
    {
        byte[] cose = Vector("internal_testdata_cose_signature.sig");
        int at = IndexOf(cose, "sha256:19dbd2e4"u8.ToArray()) + 7;
        cose[at] = (byte)'0';
        var verdict = Cose.Verify(Found(SignatureFormat.NotationCose, cose), Request(OciLayoutManifest, Now, AlpineStore()));
        Assert.Contains(verdict.Problems, p => p.Contains("does not verify", StringComparison.Ordinal));
        Assert.False(verdict.Anchors[0].Trusted);
    }

    [Fact]
    public void Cose_OtherImage_DoesNotCount()
    {
        var other = Digest.Sha256Of("another image"u8);
        var verdict = Cose.Verify(Found(SignatureFormat.NotationCose, Vector("internal_testdata_cose_signature.sig")), Request(other, Now, AlpineStore()));
        Assert.Equal($"the signed payload names {OciLayoutManifest}, not the image asked about ({other})", Assert.Single(verdict.Problems));
        Assert.StartsWith("the signature does not count: the signed payload names", verdict.Anchors[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Jws_WrongTrustStore_DoesNotChain()
    {
        var verdict = Jws.Verify(Found(SignatureFormat.NotationJws, Vector("internal_testdata_jws_signature.sig")),
            Request(OciLayoutManifest, Now, NotationTestRoot(), AlpineStore()));
        Assert.Empty(verdict.Problems);
        Assert.False(verdict.Anchors[0].Trusted);
        Assert.Equal("not trusted by notation-test-root: the chain of CN=alpine, O=Notary, L=Seattle, S=WA, C=US (root CN=alpine, O=Notary, L=Seattle, S=WA, C=US) holds no certificate of the trust store (the signature has no timestamp countersignature)", verdict.Anchors[0].Reason);
        Assert.True(verdict.Anchors[1].Trusted);
    }

    [Fact]
    public void Jws_IdentityMismatch_DoesNotCount()
    {
        var verdict = Jws.Verify(Found(SignatureFormat.NotationJws, Vector("internal_testdata_jws_signature.sig")),
            Request(OciLayoutManifest, Now, AlpineStore("x509.subject: C=US, ST=WA, O=Notary, CN=wabbit-networks.io")));
        Assert.False(verdict.Anchors[0].Trusted);
        Assert.Contains("matches none of the trusted identities (x509.subject: C=US, ST=WA, O=Notary, CN=wabbit-networks.io)", verdict.Anchors[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Jws_TamperedPayloadByte_DoesNotVerify()
    {
        var jws = JsonNode.Parse(Vector("internal_testdata_jws_signature.sig"))!;
        byte[] payload = Base64Url.DecodeFromChars(jws["payload"]!.GetValue<string>());
        payload[^3] = (byte)'2'; // size 481 -> 421
        jws["payload"] = Base64Url.EncodeToString(payload);
        var verdict = Jws.Verify(Found(SignatureFormat.NotationJws, Encoding.UTF8.GetBytes(jws.ToJsonString())), Request(OciLayoutManifest, Now, AlpineStore()));
        Assert.Equal("the signature does not verify with the key of the signing certificate CN=alpine, O=Notary, L=Seattle, S=WA, C=US (PS256)", Assert.Single(verdict.Problems));
        Assert.False(verdict.Anchors[0].Trusted);
    }

    [Fact]
    public void Jws_OtherImage_DoesNotCount()
    {
        var other = Digest.Sha256Of(TestData.Bytes(Dir, Sub, "internal_testdata_oci-layout_manifest.json"));
        var verdict = Jws.Verify(Found(SignatureFormat.NotationJws, Vector("internal_testdata_jws_signature.sig")), Request(other, Now, AlpineStore()));
        Assert.Contains($"names {OciLayoutManifest}, not the image asked about ({other})", Assert.Single(verdict.Problems), StringComparison.Ordinal);
        Assert.Empty(verdict.TrustedBy);
    }

    [Fact]
    public void MockCaVector_ChainsToNotationTestRoot()
    {
        var verdict = Jws.Verify(Found(SignatureFormat.NotationJws, Vector("internal_mock_testdata_ca_valid_sig_env.json")),
            Request(MockTarget, Now, NotationTestRoot("x509.subject: C=US, ST=WA, O=Notary"), AlpineStore()));
        Assert.Empty(verdict.Problems);
        Assert.True(verdict.Anchors[0].Trusted, verdict.Anchors[0].Reason);
        Assert.Contains("PS384", verdict.Anchors[0].Reason, StringComparison.Ordinal);
        Assert.False(verdict.Anchors[1].Trusted);
    }

    [Fact]
    public void MockCaVector_PastItsExpiry_DoesNotCount()
    {
        var verdict = Jws.Verify(Found(SignatureFormat.NotationJws, Vector("internal_mock_testdata_ca_valid_sig_env.json")),
            Request(MockTarget, new DateTimeOffset(2121, 1, 1, 0, 0, 0, TimeSpan.Zero), NotationTestRoot()));
        Assert.Equal("the signature expired at 2120-11-09T07:00:00Z (io.cncf.notary.expiry), before 2121-01-01T00:00:00Z", Assert.Single(verdict.Problems));
    }

    private static NotationAnchor TimestampStore(bool withTsa) => new("alpine-2023")
    {
        CertificatesPem = [LeafOf("verifier_testdata_timestamp_sigEnv_jwsWithTimestamp.sig").ExportCertificatePem()],
        TimestampRootsPem = withTsa ? [GlobalSignRootR6().ExportCertificatePem()] : [],
    };

    private static X509Certificate2 LeafOf(string vector) =>
        X509CertificateLoader.LoadCertificate(Convert.FromBase64String(JsonNode.Parse(Vector(vector))!["header"]!["x5c"]![0]!.GetValue<string>()));

    /// <summary>GlobalSign Root CA - R6, the TSA root, as the token carries it (what one puts in Notation's tsa trust store).</summary>
    private static X509Certificate2 GlobalSignRootR6()
    {
        var token = Convert.FromBase64String(JsonNode.Parse(Vector("verifier_testdata_timestamp_sigEnv_jwsWithTimestamp.sig"))!["header"]!["io.cncf.notary.timestampSignature"]!.GetValue<string>());
        var cms = new SignedCms();
        cms.Decode(token);
        return cms.Certificates.Cast<X509Certificate2>().Single(c => c.Subject == "CN=GlobalSign, O=GlobalSign, OU=GlobalSign Root CA - R6");
    }

    private static readonly DateTimeOffset After2033 = new(2035, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Timestamped_Today_Counts_WithProvenTime()
    {
        var verdict = Jws.Verify(Found(SignatureFormat.NotationJws, Vector("verifier_testdata_timestamp_sigEnv_jwsWithTimestamp.sig")),
            Request(TimestampedTarget, Now, TimestampStore(withTsa: true)));
        Assert.Empty(verdict.Problems);
        Assert.True(verdict.Anchors[0].Trusted, verdict.Anchors[0].Reason);
        Assert.True(verdict.TimestampVerified);
        Assert.Equal(new DateTimeOffset(2024, 6, 18, 6, 29, 37, TimeSpan.Zero), verdict.SignedAt);
    }

    [Fact]
    public void Timestamped_AfterLeafExpired_CountsThroughTheTimestamp()
    {
        var verdict = Jws.Verify(Found(SignatureFormat.NotationJws, Vector("verifier_testdata_timestamp_sigEnv_jwsWithTimestamp.sig")),
            Request(TimestampedTarget, After2033, TimestampStore(withTsa: true)));
        Assert.True(verdict.Anchors[0].Trusted, verdict.Anchors[0].Reason);
        Assert.Contains("valid at the RFC 3161 timestamp 2024-06-18T06:29:37Z by CN=Globalsign TSA for Advanced - G4 - 202311", verdict.Anchors[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ExpiredLeaf_WithoutTimestamp_DoesNotCount()
    {
        var jws = JsonNode.Parse(Vector("verifier_testdata_timestamp_sigEnv_jwsWithTimestamp.sig"))!;
        // The countersignature is an unprotected header: removing it leaves the signature valid, only unproven in time.
        jws["header"]!.AsObject().Remove("io.cncf.notary.timestampSignature");
        var verdict = Jws.Verify(Found(SignatureFormat.NotationJws, Encoding.UTF8.GetBytes(jws.ToJsonString())),
            Request(TimestampedTarget, After2033, TimestampStore(withTsa: true)));
        Assert.Empty(verdict.Problems);
        Assert.False(verdict.Anchors[0].Trusted);
        Assert.Equal("not trusted by alpine-2023: certificate CN=alpine, O=Notary, L=Seattle, S=WA, C=US is not valid at 2035-01-01T00:00:00Z (valid 2023-05-09T04:55:12Z to 2033-05-10T04:55:12Z) (the signature has no timestamp countersignature)",
            verdict.Anchors[0].Reason);
        Assert.False(verdict.TimestampVerified);
    }

    [Fact]
    public void Timestamped_StoreWithoutTsaRoots_JudgesAtNow()
    {
        var verdict = Jws.Verify(Found(SignatureFormat.NotationJws, Vector("verifier_testdata_timestamp_sigEnv_jwsWithTimestamp.sig")),
            Request(TimestampedTarget, After2033, TimestampStore(withTsa: false)));
        Assert.False(verdict.Anchors[0].Trusted);
        Assert.EndsWith("(the signature's timestamp is not used: the trust store has no TSA roots)", verdict.Anchors[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Timestamped_UntrustedTsa_DoesNotCount()
    {
        var store = TimestampStore(withTsa: true) with { TimestampRootsPem = [TestData.Text(Dir, Sub, "verifier_testdata_truststore_x509_ca_valid-trust-store_NotationTestRoot.pem")] };
        var verdict = Jws.Verify(Found(SignatureFormat.NotationJws, Vector("verifier_testdata_timestamp_sigEnv_jwsWithTimestamp.sig")),
            Request(TimestampedTarget, Now, store));
        Assert.False(verdict.Anchors[0].Trusted);
        Assert.StartsWith("not trusted by alpine-2023: the timestamp countersignature is not trusted: the timestamping authority CN=Globalsign TSA for Advanced - G4 - 202311",
            verdict.Anchors[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Timestamp_OverAnotherSignature_IsRefused()
    {
        // The token of the timestamped vector moved onto the untimestamped vector: its imprint names other bytes.
        var timestamped = JsonNode.Parse(Vector("verifier_testdata_timestamp_sigEnv_jwsWithTimestamp.sig"))!;
        var jws = JsonNode.Parse(Vector("internal_testdata_jws_signature.sig"))!;
        jws["header"]!["io.cncf.notary.timestampSignature"] = timestamped["header"]!["io.cncf.notary.timestampSignature"]!.GetValue<string>();
        var store = AlpineStore() with { TimestampRootsPem = [GlobalSignRootR6().ExportCertificatePem()] };
        var verdict = Jws.Verify(Found(SignatureFormat.NotationJws, Encoding.UTF8.GetBytes(jws.ToJsonString())), Request(OciLayoutManifest, Now, store));
        Assert.False(verdict.Anchors[0].Trusted);
        Assert.Contains("the timestamp does not countersign this signature", verdict.Anchors[0].Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("[1,2]")]
    [InlineData("{\"payload\":\"e30\",\"protected\":\"e30\",\"header\":{},\"signature\":\"\"}")]
    [InlineData("{\"payload\":\"e30\",\"protected\":\"eyJhbGciOiJub25lIn0\",\"header\":{\"x5c\":[\"AAAA\"]},\"signature\":\"\"}")]
    [InlineData("{\"payload\":1,\"protected\":\"e30\",\"header\":{\"x5c\":[]},\"signature\":\"\",\"extra\":1}")]
    public void Jws_Garbage_IsAProblemNotAnException(string content)
    {
        var verdict = Jws.Verify(Found(SignatureFormat.NotationJws, Encoding.UTF8.GetBytes(content)), Request(OciLayoutManifest, Now, AlpineStore(), new KeyAnchor("k", "")));
        Assert.NotEmpty(verdict.Problems);
        Assert.Equal(2, verdict.Anchors.Count);
        Assert.All(verdict.Anchors, a => Assert.False(a.Trusted));
    }

    [Fact]
    public void Cose_GarbageAndTruncation_AreProblemsNotExceptions()
    {
        byte[] cose = Vector("internal_testdata_cose_signature.sig");
        foreach (byte[] content in new[] { Array.Empty<byte>(), [0xd2], cose[..(cose.Length / 2)], [0xd2, 0x84, 0x40, 0xa0, 0xf6, 0x40], cose[1..] })
        {
            var verdict = Cose.Verify(Found(SignatureFormat.NotationCose, content), Request(OciLayoutManifest, Now, AlpineStore()));
            Assert.NotEmpty(verdict.Problems);
            Assert.False(verdict.Anchors[0].Trusted);
        }
    }

    [Fact]
    public void NonNotationAnchor_SaysItDoesNotApply()
    {
        var verdict = Jws.Verify(Found(SignatureFormat.NotationJws, Vector("internal_testdata_jws_signature.sig")),
            Request(OciLayoutManifest, Now, new KeyAnchor("dev", Encoding.ASCII.GetString(Vector("jws-leaf.pub")))));
        Assert.Equal("dev is not a Notation trust store (a Notation signature counts only through one)", verdict.Anchors[0].Reason);
    }

    [Fact]
    public void Registered_InSignatureVerifiers()
    {
        Assert.IsType<NotationJwsVerifier>(SignatureVerifiers.For(SignatureFormat.NotationJws));
        Assert.IsType<NotationCoseVerifier>(SignatureVerifiers.For(SignatureFormat.NotationCose));
        Assert.IsType<NotationJwsProducer>(SignatureVerifiers.ProducerFor(SignatureFormat.NotationJws));
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        int at = haystack.AsSpan().IndexOf(needle);
        Assert.True(at >= 0);
        return at;
    }
}
