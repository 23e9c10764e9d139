using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Certificates;

/// <summary>
/// Reads who a signing certificate names: its subject, SAN emails and URIs, and the OIDC issuer a Fulcio certificate
/// records (sigstore/fulcio docs/oid-info.md: 1.3.6.1.4.1.57264.1.8 as a DER UTF8String, or the deprecated .1.1 as raw
/// bytes). Shared by every format that signs with certificates.
/// </summary>
public static class CertificateIdentity
{
    public const string FulcioIssuerV1Oid = "1.3.6.1.4.1.57264.1.1";
    public const string FulcioIssuerV2Oid = "1.3.6.1.4.1.57264.1.8";

    public static SignerInfo Describe(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return new SignerInfo
        {
            KeyFingerprint = KeyFingerprint(certificate.PublicKey.ExportSubjectPublicKeyInfo()),
            KeyAlgorithm = certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value,
            CertificateSubject = certificate.Subject,
            CertificateIssuer = certificate.Issuer,
            SubjectAlternativeNames = SubjectAlternativeNames(certificate),
            OidcIssuer = OidcIssuer(certificate),
            NotBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime()),
            NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime()),
            CertificateSha256 = Convert.ToHexStringLower(certificate.GetCertHash(HashAlgorithmName.SHA256)),
        };
    }

    /// <summary>SHA-256 (lowercase hex) of a SubjectPublicKeyInfo DER: how keys are named everywhere in Bollard.</summary>
    public static string KeyFingerprint(ReadOnlySpan<byte> subjectPublicKeyInfo) => Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));

    /// <summary>The SAN emails (rfc822Name) and URIs, in certificate order.</summary>
    public static IReadOnlyList<string> SubjectAlternativeNames(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var names = new List<string>();
        var extension = certificate.Extensions["2.5.29.17"];
        if (extension is null) return names;
        try
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            while (sequence.HasData)
            {
                var tag = sequence.PeekTag();
                // GeneralName: [1] rfc822Name IA5String, [6] uniformResourceIdentifier IA5String (implicit tags).
                if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue is 1 or 6)
                    names.Add(sequence.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                else
                    sequence.ReadEncodedValue();
            }
        }
        catch (AsnContentException)
        {
            // A malformed SAN names nobody; the caller's identity match then fails with "no identity".
        }
        return names;
    }

    /// <summary>The OIDC issuer of a Fulcio certificate; null when it has none.</summary>
    public static string? OidcIssuer(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (certificate.Extensions[FulcioIssuerV2Oid] is { } v2)
        {
            try
            {
                return new AsnReader(v2.RawData, AsnEncodingRules.DER).ReadCharacterString(UniversalTagNumber.UTF8String);
            }
            catch (AsnContentException)
            {
                return null;
            }
        }
        return certificate.Extensions[FulcioIssuerV1Oid] is { } v1 ? Encoding.UTF8.GetString(v1.RawData) : null;
    }
}
