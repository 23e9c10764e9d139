using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bollard.Trust.Certificates;
using Bollard.Trust.Keys;
using Bollard.Trust.Sigstore;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Cosign;

/// <summary>
/// An anchor's PEM and trusted-root text, parsed once per anchor instance (anchors are immutable records that a policy
/// holds for its lifetime), so verifying many signatures against one policy parses its keys and roots once.
/// </summary>
internal static class AnchorMaterial
{
    private static readonly ConditionalWeakTable<KeyAnchor, KeyMaterial> Keys = [];
    private static readonly ConditionalWeakTable<IdentityAnchor, IdentityMaterial> Identities = [];

    public static KeyMaterial For(KeyAnchor anchor) => Keys.GetValue(anchor, static a =>
    {
        try
        {
            return new KeyMaterial(VerificationKey.FromPem(a.PublicKeyPem), null);
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            return new KeyMaterial(null, $"key {a.Name} is not a usable public key: {e.Message}");
        }
    });

    public static IdentityMaterial For(IdentityAnchor anchor) => Identities.GetValue(anchor, static a => IdentityMaterial.Load(a));
}

internal sealed record KeyMaterial(VerificationKey? Key, string? Problem);

/// <summary>The roots, intermediates and transparency logs of an <see cref="IdentityAnchor"/>: its PEM lists plus its trusted root's.</summary>
internal sealed record IdentityMaterial(
    IReadOnlyList<X509Certificate2> Roots,
    IReadOnlyList<X509Certificate2> Intermediates,
    IReadOnlyList<TrustedLog> Logs,
    IReadOnlyList<SigstoreCertificateAuthority> Authorities,
    string? Problem)
{
    public static IdentityMaterial Load(IdentityAnchor anchor)
    {
        var roots = new List<X509Certificate2>();
        var intermediates = new List<X509Certificate2>();
        var logs = new List<TrustedLog>();
        var authorities = new List<SigstoreCertificateAuthority>();
        try
        {
            foreach (string pem in anchor.RootsPem) roots.AddRange(CertificateChains.LoadPem(pem));
            foreach (string pem in anchor.IntermediatesPem) intermediates.AddRange(CertificateChains.LoadPem(pem));
        }
        catch (CryptographicException e)
        {
            return new IdentityMaterial([], [], [], [], $"anchor {anchor.Name} has a root or intermediate that is not a PEM certificate: {e.Message}");
        }
        foreach (string pem in anchor.TransparencyLogKeysPem)
        {
            try
            {
                var key = VerificationKey.FromPem(pem);
                logs.Add(new TrustedLog($"transparency log {key.Fingerprint[..12]}…", key, new SignatureOptions(key.DefaultHash), ValidityPeriod.Always));
            }
            catch (FormatException e)
            {
                return new IdentityMaterial([], [], [], [], $"anchor {anchor.Name} has a transparency-log key that is not usable: {e.Message}");
            }
        }
        if (anchor.TrustedRootJson is not null)
        {
            if (!TrustedRoot.TryParse(anchor.TrustedRootJson, out var root, out string? problem))
                return new IdentityMaterial([], [], [], [], $"anchor {anchor.Name} has a trusted root that cannot be used: {problem}");
            foreach (var authority in root!.CertificateAuthorities)
            {
                authorities.Add(authority);
                roots.Add(authority.Root);
                intermediates.AddRange(authority.Intermediates);
            }
            foreach (var log in root.TransparencyLogs)
                if (log.PublicKey is not null)
                    logs.Add(new TrustedLog(log.BaseUrl ?? $"transparency log {Convert.ToHexStringLower(log.LogId)[..12]}…", log.PublicKey, log.SignatureOptions, log.ValidFor)
                    {
                        LogIdHex = Convert.ToHexStringLower(log.LogId),
                    });
        }
        return new IdentityMaterial(roots, intermediates, logs, authorities, null);
    }

    /// <summary>
    /// When the chain ends in a trusted root's certificate authority, that authority must have been trusted when the
    /// certificate was issued (a trusted root retires a Fulcio CA by ending its <c>validFor</c>). Roots given as PEM have
    /// no such window.
    /// </summary>
    public string? AuthorityProblem(IReadOnlyList<X509Certificate2> chain, DateTimeOffset issued)
    {
        var used = Authorities.Where(a => a.Chain.All(c => chain.Any(b => b.RawDataMemory.Span.SequenceEqual(c.RawDataMemory.Span)))).ToList();
        if (used.Count == 0 || used.Any(a => a.ValidFor.Contains(issued))) return null;
        return $"certificate authority {used[0].Describe()} was trusted only {used[0].ValidFor}, not when the certificate was issued ({issued:u})";
    }
}
