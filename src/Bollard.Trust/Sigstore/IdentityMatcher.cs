using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Bollard.Trust.Certificates;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Sigstore;

/// <summary>
/// Whether a signing certificate names the identity an <see cref="IdentityAnchor"/> asks for: the OIDC issuer Fulcio
/// recorded against <see cref="IdentityAnchor.Issuer"/>/<see cref="IdentityAnchor.IssuerRegex"/>, and a SAN email or URI
/// (or the subject's CN, for bring-your-own PKI) against <see cref="IdentityAnchor.Subject"/>/<see cref="IdentityAnchor.SubjectRegex"/>.
/// Regular expressions match the whole value and time out (an anchor's pattern is configuration, but bounded anyway).
/// </summary>
public static class IdentityMatcher
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(200);

    /// <returns>null when the certificate matches; otherwise why not.</returns>
    public static string? Mismatch(X509Certificate2 leaf, IdentityAnchor anchor)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(anchor);
        string? issuer = CertificateIdentity.OidcIssuer(leaf);
        if (anchor.Issuer is not null || anchor.IssuerRegex is not null)
        {
            if (issuer is null) return "the certificate records no OIDC issuer";
            if (anchor.Issuer is not null && anchor.IssuerRegex is null && !string.Equals(anchor.Issuer, issuer, StringComparison.Ordinal))
                return $"the certificate's issuer '{issuer}' is not '{anchor.Issuer}'";
            if (anchor.IssuerRegex is not null)
            {
                bool? match = Matches(anchor.IssuerRegex, issuer);
                if (match is null) return $"the anchor's issuer pattern '{anchor.IssuerRegex}' is not a valid regular expression or took too long";
                if (match == false) return $"the certificate's issuer '{issuer}' does not match '{anchor.IssuerRegex}'";
            }
        }
        if (anchor.Subject is null && anchor.SubjectRegex is null) return null;
        var names = CertificateIdentity.SubjectAlternativeNames(leaf).ToList();
        string? commonName = leaf.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (!string.IsNullOrEmpty(commonName) && !names.Contains(commonName, StringComparer.Ordinal)) names.Add(commonName);
        if (names.Count == 0) return "the certificate names no identity (no SAN email or URI, no subject CN)";
        if (anchor.SubjectRegex is not null)
        {
            foreach (string name in names)
            {
                bool? match = Matches(anchor.SubjectRegex, name);
                if (match is null) return $"the anchor's subject pattern '{anchor.SubjectRegex}' is not a valid regular expression or took too long";
                if (match == true) return null;
            }
            return $"the certificate's identity {string.Join(", ", names.Select(n => $"'{n}'"))} does not match '{anchor.SubjectRegex}'";
        }
        return names.Contains(anchor.Subject!, StringComparer.Ordinal)
            ? null
            : $"the certificate's identity {string.Join(", ", names.Select(n => $"'{n}'"))} is not '{anchor.Subject}'";
    }

    private static bool? Matches(string pattern, string value)
    {
        try
        {
            return Regex.IsMatch(value, $"^(?:{pattern})$", RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (ArgumentException)
        {
            return null;
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }
    }
}
