using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Bollard.Core.Oci;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Tests.Notation;

/// <summary>A test CA made with CertificateRequest (root, code-signing leaf) and a hand-rolled JWS signer for attack cases.</summary>
internal sealed class NotationTestPki : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 12, 2, 5, 0, 0, TimeSpan.Zero);

    public NotationTestPki(string leafSubject = "C=US, ST=WA, O=Bollard Test, CN=ci", bool codeSigning = true, bool sha1 = false)
    {
        RootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("C=US, ST=WA, O=Bollard Test, CN=Bollard Test Root", RootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        Root = rootRequest.CreateSelfSigned(Now.AddYears(-1), Now.AddYears(5));

        LeafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest(leafSubject, LeafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(codeSigning ? "1.3.6.1.5.5.7.3.3" : "1.3.6.1.5.5.7.3.4")], false));
        X509SignatureGenerator generator = sha1 ? new EcdsaSha1Generator(RootKey) : X509SignatureGenerator.CreateForECDsa(RootKey);
        Leaf = leafRequest.Create(Root.SubjectName, generator, Now.AddDays(-30), Now.AddYears(1), [1, 2, 3, 4]);
    }

    public ECDsa RootKey { get; }

    public X509Certificate2 Root { get; }

    public ECDsa LeafKey { get; }

    public X509Certificate2 Leaf { get; }

    public IReadOnlyList<string> ChainPem => [Leaf.ExportCertificatePem(), Root.ExportCertificatePem()];

    public NotationAnchor Anchor(string name = "test-ca", params string[] identities) =>
        new(name) { CertificatesPem = [Root.ExportCertificatePem()], TrustedIdentities = identities.Length == 0 ? ["*"] : identities };

    /// <summary>A JWS with exactly this protected header JSON, signed ES256 by the leaf, x5c leaf + root.</summary>
    public byte[] Jws(string protectedJson, Digest target)
    {
        string payload = $"{{\"targetArtifact\":{{\"digest\":\"{target}\",\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":481}}}}";
        string protectedText = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(protectedJson));
        string payloadText = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload));
        byte[] signature = LeafKey.SignData(Encoding.ASCII.GetBytes(protectedText + "." + payloadText), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        string x5c = $"[\"{Convert.ToBase64String(Leaf.RawData)}\",\"{Convert.ToBase64String(Root.RawData)}\"]";
        return Encoding.UTF8.GetBytes($"{{\"payload\":\"{payloadText}\",\"protected\":\"{protectedText}\",\"header\":{{\"x5c\":{x5c}}},\"signature\":\"{Base64Url.EncodeToString(signature)}\"}}");
    }

    public static string Protected(string extra = "", string crit = "\"io.cncf.notary.signingScheme\"", string alg = "ES256") =>
        $"{{\"alg\":\"{alg}\",\"crit\":[{crit}],\"cty\":\"application/vnd.cncf.notary.payload.v1+json\",\"io.cncf.notary.signingScheme\":\"notary.x509\",\"io.cncf.notary.signingTime\":\"2026-12-01T10:00:00Z\"{extra}}}";

    public static FoundSignature Found(SignatureFormat format, byte[] content) => new()
    {
        Format = format,
        Repository = "team/app",
        Subject = Digest.Sha256Of("subject"u8),
        SignatureManifest = Digest.Sha256Of("signature manifest"u8),
        LayerDigest = Digest.Sha256Of(content),
        MediaType = format == SignatureFormat.NotationJws ? "application/jose+json" : "application/cose",
        Content = content,
    };

    public static VerificationRequest Request(Digest expected, DateTimeOffset now, params TrustAnchor[] anchors) => new(expected, "team/app", anchors, now);

    /// <summary>Signs a certificate with ecdsa-with-SHA1, which .NET's own generator refuses to make.</summary>
    private sealed class EcdsaSha1Generator(ECDsa key) : X509SignatureGenerator
    {
        public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm)
        {
            var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
            using (writer.PushSequence()) writer.WriteObjectIdentifier("1.2.840.10045.4.1");
            return writer.Encode();
        }

        public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) =>
            key.SignData(data, HashAlgorithmName.SHA1, DSASignatureFormat.Rfc3279DerSequence);

        protected override PublicKey BuildPublicKey() => PublicKey.CreateFromSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _);
    }

    public void Dispose()
    {
        RootKey.Dispose();
        LeafKey.Dispose();
        Root.Dispose();
        Leaf.Dispose();
    }
}
