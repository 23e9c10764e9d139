using System.Buffers.Text;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Bollard.Trust.Certificates;
using Bollard.Trust.Keys;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Notation;

/// <summary>
/// Makes a Notation signature in the JWS envelope, as <c>notation sign</c> does: a referrer with artifactType
/// <c>application/vnd.cncf.notary.signature</c>, one <c>application/jose+json</c> layer, and the manifest annotation
/// <c>io.cncf.notary.x509chain.thumbprint#S256</c>; signing scheme <c>notary.x509</c> with the signing time, the
/// signer's chain in <c>x5c</c>, payload <c>{"targetArtifact": {mediaType, digest, size}}</c>. The chain must meet
/// Notation's certificate rules and be valid now; the signer's algorithm must be the one Notation uses for its key.
/// Thread-safe, pure CPU.
/// </summary>
public sealed class NotationJwsProducer : ISignatureProducer
{
    public SignatureFormat Format => SignatureFormat.NotationJws;

    /// <exception cref="InvalidOperationException">The signer has no certificate chain, or its chain or algorithm cannot make a Notation signature (the message says why).</exception>
    public SignatureArtifact Create(SigningInput input, ISigner signer)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(signer);
        var (envelope, chain) = CreateEnvelope(input, signer, checkChain: true);
        string thumbprints = JsonSerializer.Serialize(chain.Select(c => Convert.ToHexStringLower(c.GetCertHash(HashAlgorithmName.SHA256))).ToArray());
        return new ReferrerArtifact(Format, NotationHeaders.ArtifactType, NotationHeaders.JwsMediaType, envelope,
            new Dictionary<string, string> { [NotationHeaders.ThumbprintAnnotation] = thumbprints });
    }

    /// <param name="checkChain">false only in tests, to make signatures whose chains break the rules the verifier must refuse.</param>
    internal static (byte[] Envelope, IReadOnlyList<X509Certificate2> Chain) CreateEnvelope(SigningInput input, ISigner signer, bool checkChain)
    {
        if (signer.CertificateChainPem.Count == 0)
            throw new InvalidOperationException("a Notation signature needs an X.509 certificate chain (leaf first) with the key; this signer has a bare key");
        var chain = new List<X509Certificate2>();
        try
        {
            foreach (string pem in signer.CertificateChainPem) chain.AddRange(CertificateChains.LoadPem(pem));
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException($"the signer's certificate chain cannot be read: {e.Message}", e);
        }
        if (chain.Count == 0) throw new InvalidOperationException("the signer's certificate chain holds no certificate");
        var leaf = chain[0];
        VerificationKey leafKey;
        try
        {
            leafKey = VerificationKey.FromCertificate(leaf);
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"the leaf certificate's key cannot sign Notation signatures: {e.Message}", e);
        }
        if (leafKey.Fingerprint != signer.KeyFingerprint)
            throw new InvalidOperationException($"the signer's key is not the key of its leaf certificate {leaf.Subject}");
        var algorithm = NotationAlgorithms.ForKey(leafKey)
            ?? throw new InvalidOperationException($"Notation cannot sign with a {leafKey.Description} key (RSA-2048/3072/4096, ECDSA P-256/384/521)");
        var signs = signer.Algorithm switch
        {
            SigningAlgorithm.RsaPssSha256 => NotationAlgorithm.PS256,
            SigningAlgorithm.EcdsaP256Sha256 => NotationAlgorithm.ES256,
            SigningAlgorithm.EcdsaP384Sha384 => NotationAlgorithm.ES384,
            SigningAlgorithm.EcdsaP521Sha512 => NotationAlgorithm.ES512,
            _ => (NotationAlgorithm?)null,
        };
        if (signs != algorithm)
            throw new InvalidOperationException($"Notation signs a {leafKey.Description} key with {algorithm}, but this signer uses {signer.Algorithm}");
        if (checkChain)
        {
            if (NotationCertificates.CheckCodeSigningChain(chain) is { } problem) throw new InvalidOperationException($"the signer's chain cannot make a Notation signature: {problem}");
            var expired = chain.FirstOrDefault(c => c.NotBefore.ToUniversalTime() > input.Now.UtcDateTime || c.NotAfter.ToUniversalTime() < input.Now.UtcDateTime);
            if (expired is not null) throw new InvalidOperationException($"certificate {expired.Subject} is not valid at the signing time {NotationVerification.Format(input.Now)}");
        }

        byte[] protectedHeader = Json(writer =>
        {
            writer.WriteString("alg", algorithm.ToString());
            writer.WriteStartArray("crit");
            writer.WriteStringValue(NotationHeaders.SigningScheme);
            writer.WriteEndArray();
            writer.WriteString("cty", NotationHeaders.PayloadContentType);
            writer.WriteString(NotationHeaders.SigningScheme, NotationHeaders.SchemeX509);
            // RFC 3339 without fractional seconds (signature-envelope-jws.md: they SHOULD NOT be used).
            writer.WriteString(NotationHeaders.SigningTime, NotationVerification.Format(input.Now));
        });
        byte[] payload = Json(writer =>
        {
            writer.WriteStartObject("targetArtifact");
            writer.WriteString("mediaType", input.ManifestMediaType);
            writer.WriteString("digest", input.Manifest.ToString());
            writer.WriteNumber("size", input.ManifestSize);
            writer.WriteEndObject();
        });
        string protectedText = Base64Url.EncodeToString(protectedHeader);
        string payloadText = Base64Url.EncodeToString(payload);
        byte[] signature = signer.Sign(Encoding.ASCII.GetBytes(protectedText + "." + payloadText));
        if (leafKey.Family == KeyFamily.Ecdsa) signature = DerToP1363(signature, (leafKey.KeySize + 7) / 8);

        byte[] envelope = Json(writer =>
        {
            writer.WriteString("payload", payloadText);
            writer.WriteString("protected", protectedText);
            writer.WriteStartObject("header");
            writer.WriteStartArray("x5c");
            foreach (var certificate in chain) writer.WriteStringValue(Convert.ToBase64String(certificate.RawData));
            writer.WriteEndArray();
            writer.WriteString(NotationHeaders.SigningAgent, "Bollard");
            writer.WriteEndObject();
            writer.WriteString("signature", Base64Url.EncodeToString(signature));
        });
        return (envelope, chain);
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>ISigner's ECDSA signatures are DER (RFC 3279); JWS wants r||s, each left-padded to the field size (RFC 7518 3.4).</summary>
    private static byte[] DerToP1363(byte[] der, int fieldSize)
    {
        var sequence = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        byte[] result = new byte[2 * fieldSize];
        for (int i = 0; i < 2; i++)
        {
            var integer = sequence.ReadIntegerBytes().Span;
            while (integer.Length > 0 && integer[0] == 0) integer = integer[1..];
            if (integer.Length > fieldSize) throw new InvalidOperationException("the signer returned a malformed ECDSA signature");
            integer.CopyTo(result.AsSpan((i + 1) * fieldSize - integer.Length));
        }
        return result;
    }
}
