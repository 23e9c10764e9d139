using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bollard.Trust.Certificates;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Bollard.Trust.Notation;

/// <summary>
/// Notation's certificate requirements (signature-specification.md, "Certificate Requirements"), checked on the chain a
/// signature carries independently of any trust store, at signing and at verification. Bollard is stricter than the
/// specification in one place: a code-signing leaf must carry id-kp-codeSigning (the specification lets the EKU be
/// absent), as the issue asks. Only basic constraints, key usage and EKU are judged; other extensions are not.
/// The chain is the ordered list the envelope carries (leaf, intermediates, root), so it is checked as such: each
/// certificate signed by the next, the root by itself, rather than path-built (a path builder takes notation-go's mock
/// leaf, named like its root, for a self-signed certificate).
/// </summary>
internal static class NotationCertificates
{
    private const string TimeStampingEku = "1.3.6.1.5.5.7.3.8";

    /// <summary>EKUs a code-signing leaf must not have: anyExtendedKeyUsage, serverAuth, clientAuth, emailProtection, timeStamping.</summary>
    private static readonly string[] ForbiddenCodeSigningEkus = ["2.5.29.37.0", "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.4", TimeStampingEku];

    /// <summary>Checks a code-signing chain (leaf first, ending in a self-signed root). Returns the first problem, or null.</summary>
    public static string? CheckCodeSigningChain(IReadOnlyList<X509Certificate2> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Count == 0) return "the signature carries no certificate";
        if (chain.Count > NotationHeaders.MaxChainLength) return $"the signature carries {chain.Count} certificates (at most {NotationHeaders.MaxChainLength})";
        for (int i = 0; i < chain.Count; i++)
        {
            var certificate = chain[i];
            if (CertificateChains.IsSha1Signed(certificate)) return $"certificate {certificate.Subject} is signed with SHA-1, which is not accepted";
            if (CheckKey(certificate) is { } keyProblem) return keyProblem;
            if (i + 1 < chain.Count && !certificate.IssuerName.RawData.AsSpan().SequenceEqual(chain[i + 1].SubjectName.RawData))
                return $"the certificate chain is out of order: {certificate.Subject} is not issued by the next certificate, {chain[i + 1].Subject}";
        }
        var root = chain[^1];
        if (!root.SubjectName.RawData.AsSpan().SequenceEqual(root.IssuerName.RawData))
            return $"the certificate chain does not end in a root: {root.Subject} is issued by {root.Issuer}, which the signature does not carry";
        for (int i = 0; i < chain.Count; i++)
        {
            var issuer = i + 1 < chain.Count ? chain[i + 1] : chain[i];
            if (!SignedBy(chain[i], issuer))
                return i + 1 < chain.Count
                    ? $"certificate {chain[i].Subject} is not signed by the next certificate of the chain, {issuer.Subject}"
                    : $"the root certificate {chain[i].Subject} is not self-signed";
            var basic = chain[i].Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
            // pathLenConstraint: how many intermediate CAs may follow below this one (RFC 5280 4.2.1.9).
            if (i > 0 && basic is { HasPathLengthConstraint: true } && basic.PathLengthConstraint < i - 1)
                return $"CA certificate {chain[i].Subject} allows {basic.PathLengthConstraint} intermediate CAs below it, the chain has {i - 1}";
        }
        if (CheckLeaf(chain[0], codeSigning: true) is { } leafProblem) return leafProblem;
        // A chain of one self-signed certificate is both leaf and root; it meets the leaf rules only (specification, "Other requirements").
        for (int i = 1; i < chain.Count; i++)
            if (CheckCa(chain[i]) is { } caProblem) return caProblem;
        return null;
    }

    /// <summary>
    /// Whether the chain (already checked by <see cref="CheckCodeSigningChain"/>) is trusted by a trust store at a time:
    /// one of its certificates is in the store, and every certificate is valid at <paramref name="at"/>.
    /// </summary>
    /// <returns>The certificate of the store it leads to, or null and why not.</returns>
    public static (X509Certificate2? Trusted, string? Problem) CheckTrust(IReadOnlyList<X509Certificate2> chain, IReadOnlyCollection<X509Certificate2> trustStore, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(trustStore);
        var trusted = chain.FirstOrDefault(c => trustStore.Any(t => t.RawDataMemory.Span.SequenceEqual(c.RawDataMemory.Span)));
        if (trusted is null) return (null, $"the chain of {chain[0].Subject} (root {chain[^1].Subject}) holds no certificate of the trust store");
        foreach (var certificate in chain)
        {
            var notBefore = certificate.NotBefore.ToUniversalTime();
            var notAfter = certificate.NotAfter.ToUniversalTime();
            if (at.UtcDateTime < notBefore || at.UtcDateTime > notAfter)
                return (null, $"certificate {certificate.Subject} is not valid at {NotationVerification.Format(at)} (valid {NotationVerification.Format(notBefore)} to {NotationVerification.Format(notAfter)})");
        }
        return (trusted, null);
    }

    /// <summary>Whether <paramref name="issuer"/>'s key verifies <paramref name="certificate"/>'s signature (BouncyCastle: .NET has no public API for it).</summary>
    private static bool SignedBy(X509Certificate2 certificate, X509Certificate2 issuer)
    {
        try
        {
            var parser = new X509CertificateParser();
            parser.ReadCertificate(certificate.RawData).Verify(parser.ReadCertificate(issuer.RawData).GetPublicKey());
            return true;
        }
        catch (Exception e) when (e is GeneralSecurityException or SecurityUtilityException or Org.BouncyCastle.Crypto.CryptoException or ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The leaf rules: key usage critical with digitalSignature and none of the CA or encipherment bits; not a CA; the EKU rules.</summary>
    public static string? CheckLeaf(X509Certificate2 leaf, bool codeSigning)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        string role = codeSigning ? "signing" : "timestamping";
        var basic = leaf.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        if (basic is { CertificateAuthority: true }) return $"the {role} certificate {leaf.Subject} is a CA (basicConstraints cA=true)";
        var usage = leaf.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (usage is null) return $"the {role} certificate {leaf.Subject} has no key usage extension";
        if (codeSigning && !usage.Critical) return $"the {role} certificate {leaf.Subject} has a key usage extension that is not critical";
        if (!usage.KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature)) return $"the {role} certificate {leaf.Subject} lacks the digitalSignature key usage";
        const X509KeyUsageFlags forbidden = X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment | X509KeyUsageFlags.KeyAgreement
            | X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.EncipherOnly | X509KeyUsageFlags.DecipherOnly;
        if ((usage.KeyUsages & forbidden) != 0) return $"the {role} certificate {leaf.Subject} has key usages a {role} certificate must not have ({usage.KeyUsages & forbidden})";
        var ekus = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault()?.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToList();
        if (codeSigning)
        {
            if (ekus is null || !ekus.Contains(CertificateChains.CodeSigningEku)) return $"the signing certificate {leaf.Subject} lacks the code-signing extended key usage";
            var bad = ekus.FirstOrDefault(e => ForbiddenCodeSigningEkus.Contains(e));
            if (bad is not null) return $"the signing certificate {leaf.Subject} has extended key usage {bad}, which a code-signing certificate must not have";
        }
        else
        {
            var eku = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
            if (eku is null || !eku.Critical || ekus is null || ekus.Count != 1 || ekus[0] != TimeStampingEku)
                return $"the timestamping certificate {leaf.Subject} must have a critical extended key usage of id-kp-timeStamping only (RFC 3161 2.3)";
        }
        return null;
    }

    /// <summary>The CA rules: critical basicConstraints with cA=true, key usage critical with keyCertSign.</summary>
    public static string? CheckCa(X509Certificate2 ca)
    {
        ArgumentNullException.ThrowIfNull(ca);
        var basic = ca.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        if (basic is null || !basic.Critical || !basic.CertificateAuthority)
            return $"CA certificate {ca.Subject} lacks a critical basicConstraints extension with cA=true";
        var usage = ca.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (usage is null || !usage.Critical) return $"CA certificate {ca.Subject} lacks a critical key usage extension";
        if (!usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign)) return $"CA certificate {ca.Subject} lacks the keyCertSign key usage";
        return null;
    }

    /// <summary>RSA of 2048 bits or more, ECDSA on P-256, P-384 or P-521 only.</summary>
    public static string? CheckKey(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        try
        {
            if (certificate.GetRSAPublicKey() is { } rsa)
            {
                using (rsa)
                    return rsa.KeySize >= 2048 ? null : $"certificate {certificate.Subject} has an RSA key of {rsa.KeySize} bits (2048 at least)";
            }
            if (certificate.GetECDsaPublicKey() is { } ec)
            {
                using (ec)
                {
                    string? curve = ec.ExportParameters(false).Curve.Oid?.Value;
                    return curve is "1.2.840.10045.3.1.7" or "1.3.132.0.34" or "1.3.132.0.35"
                        ? null
                        : $"certificate {certificate.Subject} has an ECDSA key on a curve Notation does not allow (P-256, P-384, P-521)";
                }
            }
        }
        catch (CryptographicException e)
        {
            return $"certificate {certificate.Subject} has a malformed public key: {e.Message}";
        }
        return $"certificate {certificate.Subject} has a {certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value} key (RSA or ECDSA required)";
    }
}
