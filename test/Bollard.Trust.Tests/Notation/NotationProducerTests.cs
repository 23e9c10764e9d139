using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Trust.Keys;
using Bollard.Trust.Notation;
using Bollard.Trust.Signatures;
using static Bollard.Trust.Tests.Notation.NotationTestPki;

namespace Bollard.Trust.Tests.Notation;

public sealed class NotationProducerTests
{
    private static readonly Digest Image = Digest.Sha256Of("an image manifest"u8);
    private static readonly SigningInput Input = new("registry.test:5000", "team/app", Image, "application/vnd.oci.image.manifest.v1+json", 481, Now);
    private static readonly NotationJwsVerifier Verifier = new();

    [Fact]
    public void Create_TestCaChain_VerifiesThroughTheRoot()
    {
        using var pki = new NotationTestPki();
        var signer = LocalSigner.FromPem(pki.LeafKey.ExportPkcs8PrivateKeyPem(), certificateChainPem: pki.ChainPem);
        var artifact = Assert.IsType<ReferrerArtifact>(new NotationJwsProducer().Create(Input, signer));
        Assert.Equal(SignatureFormat.NotationJws, artifact.Format);
        Assert.Equal("application/vnd.cncf.notary.signature", artifact.ArtifactType);
        Assert.Equal("application/jose+json", artifact.LayerMediaType);
        string[] thumbprints = JsonSerializer.Deserialize<string[]>(artifact.ManifestAnnotations["io.cncf.notary.x509chain.thumbprint#S256"])!;
        Assert.Equal([Convert.ToHexStringLower(pki.Leaf.GetCertHash(HashAlgorithmName.SHA256)), Convert.ToHexStringLower(pki.Root.GetCertHash(HashAlgorithmName.SHA256))], thumbprints);

        var verdict = Verifier.Verify(Found(SignatureFormat.NotationJws, artifact.Envelope),
            Request(Image, Now, pki.Anchor("ci-ca", "x509.subject: C=US, ST=WA, O=Bollard Test, CN=ci")));
        Assert.Empty(verdict.Problems);
        Assert.True(verdict.Anchors[0].Trusted, verdict.Anchors[0].Reason);
        Assert.Equal("verified with C=US, S=WA, O=Bollard Test, CN=ci (ES256), chained to C=US, S=WA, O=Bollard Test, CN=Bollard Test Root in trust store ci-ca, valid at now (2026-12-02T05:00:00Z); trusted identity 'x509.subject: C=US, ST=WA, O=Bollard Test, CN=ci'",
            verdict.Anchors[0].Reason);
        Assert.Equal(Now, verdict.SignedAt);

        using var document = JsonDocument.Parse(artifact.Envelope);
        var envelope = NotationJwsVerifier.Read(artifact.Envelope).Envelope!;
        using var payload = JsonDocument.Parse(envelope.Payload);
        Assert.Equal(Image.ToString(), payload.RootElement.GetProperty("targetArtifact").GetProperty("digest").GetString());
        Assert.Equal(481, payload.RootElement.GetProperty("targetArtifact").GetProperty("size").GetInt64());
        Assert.Equal("notary.x509", envelope.SigningScheme);
    }

    [Fact]
    public void Create_RsaPssSigner_MakesPS256()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("C=US, ST=WA, O=Bollard Test, CN=RSA Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var root = rootRequest.CreateSelfSigned(Now.AddDays(-1), Now.AddYears(1));
        using var rsa = RSA.Create(2048);
        var leafRequest = new CertificateRequest("C=US, ST=WA, O=Bollard Test, CN=release", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
        var generator = X509SignatureGenerator.CreateForECDsa(rootKey);
        using var leaf = leafRequest.Create(root.SubjectName, generator, Now.AddDays(-1), Now.AddYears(1), [9]);
        var signer = LocalSigner.FromPem(rsa.ExportPkcs8PrivateKeyPem(), rsaPss: true, [leaf.ExportCertificatePem(), root.ExportCertificatePem()]);
        var artifact = (ReferrerArtifact)new NotationJwsProducer().Create(Input, signer);
        var verdict = Verifier.Verify(Found(SignatureFormat.NotationJws, artifact.Envelope),
            Request(Image, Now, new NotationAnchor("rsa") { CertificatesPem = [root.ExportCertificatePem()] }));
        Assert.True(verdict.Anchors[0].Trusted, verdict.Anchors[0].Reason);
        Assert.Contains("(PS256)", verdict.Anchors[0].Reason, StringComparison.Ordinal);

        var pkcs1 = LocalSigner.FromPem(rsa.ExportPkcs8PrivateKeyPem(), rsaPss: false, [leaf.ExportCertificatePem(), root.ExportCertificatePem()]);
        var refused = Assert.Throws<InvalidOperationException>(() => new NotationJwsProducer().Create(Input, pkcs1));
        Assert.Equal("Notation signs a RSA-2048 key with PS256, but this signer uses RsaPkcs1Sha256", refused.Message);
    }

    [Fact]
    public void Create_SignerWithoutChain_IsAClearError()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new NotationJwsProducer().Create(Input, LocalSigner.GenerateEcdsaP256()));
        Assert.Equal("a Notation signature needs an X.509 certificate chain (leaf first) with the key; this signer has a bare key", error.Message);
    }

    [Fact]
    public void Create_ChainOfAnotherKey_IsRefused()
    {
        using var pki = new NotationTestPki();
        var signer = LocalSigner.FromPem(LocalSigner.GenerateEcdsaP256().ExportPkcs8Pem(), certificateChainPem: pki.ChainPem);
        var error = Assert.Throws<InvalidOperationException>(() => new NotationJwsProducer().Create(Input, signer));
        Assert.StartsWith("the signer's key is not the key of its leaf certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LeafWithoutCodeSigningEku_IsRefusedByProducerAndVerifier()
    {
        using var pki = new NotationTestPki(codeSigning: false);
        var signer = LocalSigner.FromPem(pki.LeafKey.ExportPkcs8PrivateKeyPem(), certificateChainPem: pki.ChainPem);
        var error = Assert.Throws<InvalidOperationException>(() => new NotationJwsProducer().Create(Input, signer));
        Assert.Contains("lacks the code-signing extended key usage", error.Message, StringComparison.Ordinal);

        var (envelope, _) = NotationJwsProducer.CreateEnvelope(Input, signer, checkChain: false);
        var verdict = Verifier.Verify(Found(SignatureFormat.NotationJws, envelope), Request(Image, Now, pki.Anchor()));
        Assert.Equal("the signing certificate C=US, S=WA, O=Bollard Test, CN=ci lacks the code-signing extended key usage", Assert.Single(verdict.Problems));
        Assert.False(verdict.Anchors[0].Trusted);
    }

    [Fact]
    public void Sha1SignedLeaf_DoesNotCount()
    {
        using var pki = new NotationTestPki(sha1: true);
        Assert.Equal("1.2.840.10045.4.1", pki.Leaf.SignatureAlgorithm.Value);
        var signer = LocalSigner.FromPem(pki.LeafKey.ExportPkcs8PrivateKeyPem(), certificateChainPem: pki.ChainPem);
        var (envelope, _) = NotationJwsProducer.CreateEnvelope(Input, signer, checkChain: false);
        var verdict = Verifier.Verify(Found(SignatureFormat.NotationJws, envelope), Request(Image, Now, pki.Anchor()));
        Assert.Equal("certificate C=US, S=WA, O=Bollard Test, CN=ci is signed with SHA-1, which is not accepted", Assert.Single(verdict.Problems));
    }
}
