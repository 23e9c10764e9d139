using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
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

    /// <summary>How long one identity pattern may run against one value (patterns come from policies; bounded against ReDoS).</summary>
    public static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Whether <paramref name="certificate"/> names the identity <paramref name="anchor"/> asks for: the issuer
    /// (<see cref="IdentityAnchor.Issuer"/> exactly, or <see cref="IdentityAnchor.IssuerRegex"/> over the whole value) against
    /// the Fulcio OIDC issuer extension, and the subject (<see cref="IdentityAnchor.Subject"/> exactly, or
    /// <see cref="IdentityAnchor.SubjectRegex"/> over the whole value) against any SAN email or URI, or the subject's CN. An
    /// unset side matches anything.
    /// </summary>
    /// <returns>Whether it matched, and the identity it matched (or why not), e.g. <c>subject mitr@redhat.com, issuer https://github.com/login/oauth</c>.</returns>
    public static (bool Matched, string Reason) Match(X509Certificate2 certificate, IdentityAnchor anchor)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(anchor);
        string? issuer = OidcIssuer(certificate);
        if (anchor.Issuer is not null || anchor.IssuerRegex is not null)
        {
            string wanted = anchor.IssuerRegex is { } ir ? $"issuer matching /{ir}/" : $"issuer {anchor.Issuer}";
            if (issuer is null) return (false, $"wanted {wanted}, but the certificate records no OIDC issuer");
            var (ok, error) = Matches(issuer, anchor.Issuer, anchor.IssuerRegex);
            if (error is not null) return (false, error);
            if (!ok) return (false, $"wanted {wanted}, but the certificate's issuer is {issuer}");
        }

        var names = new List<string>(SubjectAlternativeNames(certificate));
        // The subject's own CN only: GetNameInfo(SimpleName) would fall back to a SAN, naming it twice.
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
            if (rdn.GetSingleElementType().Value == "2.5.4.3" && rdn.GetSingleElementValue() is { Length: > 0 } commonName && !names.Contains(commonName, StringComparer.Ordinal))
                names.Add(commonName);
        string? matched = null;
        if (anchor.Subject is not null || anchor.SubjectRegex is not null)
        {
            foreach (string name in names)
            {
                var (ok, error) = Matches(name, anchor.Subject, anchor.SubjectRegex);
                if (error is not null) return (false, error);
                if (ok) { matched = name; break; }
            }
            if (matched is null)
            {
                string wanted = anchor.SubjectRegex is { } sr ? $"subject matching /{sr}/" : $"subject {anchor.Subject}";
                string found = names.Count == 0 ? "names nobody (no SAN email or URI, no CN)" : "names " + string.Join(", ", names);
                return (false, $"wanted {wanted}, but the certificate {found}");
            }
        }
        matched ??= names.FirstOrDefault() ?? certificate.Subject;
        return (true, issuer is null ? $"subject {matched}" : $"subject {matched}, issuer {issuer}");
    }

    private static (bool Matched, string? Error) Matches(string value, string? exact, string? pattern)
    {
        if (pattern is null) return (exact is null || string.Equals(value, exact, StringComparison.Ordinal), null);
        try
        {
            return (Regex.IsMatch(value, $"^(?:{pattern})$", RegexOptions.CultureInvariant, PatternTimeout), null);
        }
        catch (ArgumentException e)
        {
            return (false, $"the identity pattern /{pattern}/ is not a valid regular expression: {e.Message}");
        }
        catch (RegexMatchTimeoutException)
        {
            return (false, $"the identity pattern /{pattern}/ took too long to match");
        }
    }
}
