using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Bollard.Core.Oci;
using Bollard.Trust.Cosign;
using Bollard.Trust.Keys;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Tests.Cosign;

public sealed class CosignProducerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 5, 0, 0, TimeSpan.Zero);
    private static readonly Digest Image = Digest.Sha256Of("image manifest"u8);

    private static SigningInput Input(string registry = "registry.example.com:5000") =>
        new(registry, "team/app", Image, "application/vnd.oci.image.manifest.v1+json", 14, Now);

    [Fact]
    public void Create_WritesCosignsPayloadAndASignatureItsKeyVerifies()
    {
        var signer = LocalSigner.GenerateEcdsaP256();

        var layer = Assert.IsType<CosignLayer>(new CosignProducer().Create(Input(), signer));

        Assert.Equal(
            $"{{\"critical\":{{\"identity\":{{\"docker-reference\":\"registry.example.com:5000/team/app\"}},\"image\":{{\"docker-manifest-digest\":\"{Image}\"}},\"type\":\"cosign container image signature\"}},\"optional\":null}}",
            Encoding.UTF8.GetString(layer.Payload));
        Assert.Equal([CosignAnnotations.Signature], layer.Annotations.Keys);
        Assert.True(signer.PublicKey.Verify(layer.Payload, Convert.FromBase64String(layer.Annotations[CosignAnnotations.Signature]), signer.VerifyOptions));

        var verdict = new CosignVerifier().Verify(CosignVectors.Found(layer.Payload, layer.Annotations, Image), new VerificationRequest(Image, "team/app", [new KeyAnchor("ci", signer.PublicKeyPem)], Now));
        Assert.Equal(["ci"], verdict.TrustedBy);
    }

    [Fact]
    public void Create_AnnotationsGoIntoOptional_AndNoRegistryMeansRepositoryOnly()
    {
        var input = Input(registry: "") with { Annotations = new Dictionary<string, string> { ["pipeline"] = "ci-42", ["commit"] = "abc\"def" } };

        var layer = (CosignLayer)new CosignProducer().Create(input, LocalSigner.GenerateEcdsaP256());

        string json = Encoding.UTF8.GetString(layer.Payload);
        Assert.Contains("\"docker-reference\":\"team/app\"", json, StringComparison.Ordinal);
        Assert.EndsWith("\"optional\":{\"commit\":\"abc\\u0022def\",\"pipeline\":\"ci-42\"}}", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithACertificateChain_WritesCertificateAndChain_AndVerifiesByIdentity()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Bollard Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(Now.AddDays(-1), Now.AddYears(1));
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest("CN=Bollard Test Intermediate", intermediateKey, HashAlgorithmName.SHA256);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var intermediateNoKey = intermediateRequest.Create(ca, Now.AddDays(-1), Now.AddMonths(6), [9]);
        using var intermediate = intermediateNoKey.CopyWithPrivateKey(intermediateKey);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=release-approver", leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddEmailAddress("release@example.com");
        leafRequest.CertificateExtensions.Add(san.Build());
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(CertificateChainsCodeSigning)], false));
        using var leaf = leafRequest.Create(intermediate, Now.AddMinutes(-5), Now.AddMinutes(5), [1]);
        var signer = LocalSigner.FromPem(leafKey.ExportPkcs8PrivateKeyPem(), certificateChainPem: [leaf.ExportCertificatePem(), intermediate.ExportCertificatePem()]);

        var layer = (CosignLayer)new CosignProducer().Create(Input(), signer);

        Assert.Equal(leaf.ExportCertificatePem() + "\n", layer.Annotations[CosignAnnotations.Certificate]);
        Assert.Equal(intermediate.ExportCertificatePem() + "\n", layer.Annotations[CosignAnnotations.Chain]);
        var anchor = new IdentityAnchor("release") { Subject = "release@example.com", RootsPem = [ca.ExportCertificatePem()] };
        var verdict = new CosignVerifier().Verify(CosignVectors.Found(layer.Payload, layer.Annotations, Image), new VerificationRequest(Image, "team/app", [anchor], Now));
        Assert.True(verdict.Anchors[0].Trusted, verdict.Anchors[0].Reason);
        Assert.Contains("chained to CN=Bollard Test CA, valid now", verdict.Anchors[0].Reason, StringComparison.Ordinal);

        // Ten minutes later the certificate has expired and nothing proves when it was used.
        var later = new CosignVerifier().Verify(CosignVectors.Found(layer.Payload, layer.Annotations, Image), new VerificationRequest(Image, "team/app", [anchor], Now.AddMinutes(10)));
        Assert.False(later.Anchors[0].Trusted);
        Assert.Contains("no trusted timestamp proves it was used while valid", later.Anchors[0].Reason, StringComparison.Ordinal);
        // ... unless the anchor accepts expired certificates without one.
        var lenient = new CosignVerifier().Verify(CosignVectors.Found(layer.Payload, layer.Annotations, Image),
            new VerificationRequest(Image, "team/app", [anchor with { RequireTimestampForExpired = false }], Now.AddMinutes(10)));
        Assert.True(lenient.Anchors[0].Trusted, lenient.Anchors[0].Reason);
    }

    private const string CertificateChainsCodeSigning = Bollard.Trust.Certificates.CertificateChains.CodeSigningEku;
}
