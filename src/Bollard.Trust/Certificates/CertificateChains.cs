using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Bollard.Trust.Certificates;

/// <summary>
/// Builds a signing certificate's chain against explicitly configured roots only (never the machine's store), with
/// revocation off (offline) and validity judged at a chosen time. Shared by cosign (bring-your-own PKI, Fulcio), Sigstore
/// bundles and Notation.
/// </summary>
public static class CertificateChains
{
    /// <summary>Extended key usage id-kp-codeSigning.</summary>
    public const string CodeSigningEku = "1.3.6.1.5.5.7.3.3";

    /// <param name="leaf">The signing certificate.</param>
    /// <param name="intermediates">Certificates that may complete the chain (the signature's own chain, configured intermediates).</param>
    /// <param name="roots">The only trust anchors.</param>
    /// <param name="at">The time the chain must be valid at (the proven signing time, or now).</param>
    /// <param name="requireCodeSigning">The leaf must have the code-signing EKU (Notation, Fulcio).</param>
    /// <returns>The chain (leaf first) when valid; otherwise null and the reason.</returns>
    public static (IReadOnlyList<X509Certificate2>? Chain, string? Problem) Validate(
        X509Certificate2 leaf, IEnumerable<X509Certificate2> intermediates, IReadOnlyCollection<X509Certificate2> roots, DateTimeOffset at, bool requireCodeSigning)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(intermediates);
        ArgumentNullException.ThrowIfNull(roots);
        if (roots.Count == 0) return (null, "no trusted root is configured");
        if (IsSha1Signed(leaf)) return (null, $"certificate {leaf.Subject} is signed with SHA-1, which is not accepted");
        if (requireCodeSigning && !HasCodeSigningEku(leaf)) return (null, $"certificate {leaf.Subject} lacks the code-signing extended key usage");

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
        chain.ChainPolicy.ExtraStore.AddRange(intermediates.ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (chain.Build(leaf))
        {
            var built = chain.ChainElements.Select(e => e.Certificate).ToList();
            var weak = built.FirstOrDefault(c => IsSha1Signed(c) && !roots.Any(r => r.RawDataMemory.Span.SequenceEqual(c.RawDataMemory.Span)));
            return weak is null ? (built, null) : (null, $"certificate {weak.Subject} in the chain is signed with SHA-1, which is not accepted");
        }
        var statuses = chain.ChainElements.SelectMany(e => e.ChainElementStatus.Select(s => (e.Certificate, s)))
            .Concat(chain.ChainStatus.Select(s => (Certificate: leaf, s)))
            .Where(x => x.s.Status != X509ChainStatusFlags.NoError).ToList();
        if (statuses.Any(x => x.s.Status.HasFlag(X509ChainStatusFlags.NotTimeValid)))
        {
            var expired = statuses.First(x => x.s.Status.HasFlag(X509ChainStatusFlags.NotTimeValid)).Certificate;
            return (null, $"certificate {expired.Subject} is not valid at {at:u} (valid {expired.NotBefore.ToUniversalTime():u} to {expired.NotAfter.ToUniversalTime():u})");
        }
        if (statuses.Any(x => x.s.Status.HasFlag(X509ChainStatusFlags.UntrustedRoot) || x.s.Status.HasFlag(X509ChainStatusFlags.PartialChain)))
            return (null, $"certificate {leaf.Subject} does not chain to a trusted root");
        return (null, $"certificate chain of {leaf.Subject} is invalid: {string.Join("; ", statuses.Select(x => x.s.StatusInformation.Trim()).Distinct())}");
    }

    public static bool HasCodeSigningEku(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        foreach (var extension in certificate.Extensions)
            if (extension is X509EnhancedKeyUsageExtension eku && eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == CodeSigningEku)) return true;
        return false;
    }

    /// <summary>sha1WithRSAEncryption, ecdsa-with-SHA1, dsa-with-sha1.</summary>
    public static bool IsSha1Signed(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.SignatureAlgorithm.Value is "1.2.840.113549.1.1.5" or "1.2.840.10045.4.1" or "1.2.840.10040.4.3";
    }

    /// <summary>Every certificate of a PEM text (a chain or a bundle of roots).</summary>
    public static IReadOnlyList<X509Certificate2> LoadPem(string pem)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPem(pem);
        return collection.Cast<X509Certificate2>().ToList();
    }
}
