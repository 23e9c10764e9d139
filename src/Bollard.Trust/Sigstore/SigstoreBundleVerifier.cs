using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bollard.Trust.Certificates;
using Bollard.Trust.Keys;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Sigstore;

/// <summary>
/// Verifies Sigstore bundles (v0.1–v0.3) attached to an image. A DSSE bundle counts when its signature verifies over the
/// envelope's PAE and its in-toto statement names the image's digest as a subject (cosign v3 signs images this way, with
/// predicate <c>https://sigstore.dev/cosign/sign/v1</c>); a message-signature bundle counts when its message digest is
/// the image's manifest digest and the signature verifies over that digest (the manifest bytes are the message). A
/// <see cref="KeyAnchor"/> trusts it when the signature verifies with the anchor's key. An <see cref="IdentityAnchor"/>
/// trusts it when the bundle's certificate chains to the anchor's roots (its <c>trusted_root.json</c> authorities or
/// PEM roots) at a time the certificate was valid, the certificate names the anchor's issuer and subject, and the
/// signature verifies with the certificate's key. The time is proven by a transparency log entry of the trusted root
/// that records this signature and certificate (its signed entry timestamp signs the integrated time) or by an RFC 3161
/// timestamp from a timestamp authority of the trusted root; without one, the certificate must be valid now.
/// Pure CPU, thread-safe, never throws for bad input.
/// </summary>
public sealed class SigstoreBundleVerifier : ISignatureVerifier
{
    private const int MaxCachedRoots = 32;
    private static readonly ConcurrentDictionary<string, (TrustedRoot? Root, string? Problem)> RootCache = new(StringComparer.Ordinal);

    public SignatureFormat Format => SignatureFormat.SigstoreBundle;

    public SignatureVerdict Verify(FoundSignature signature, VerificationRequest request)
    {
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(request);
        if (!SigstoreBundle.TryParse(signature.Content, out var bundle, out string? malformed))
            return Refused(signature, request, $"the bundle is malformed: {malformed}");
        try
        {
            return Verify(signature, bundle!, request);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            // A verifier never throws for bad input: anything the checks below did not foresee is a refusal with its reason.
            return Refused(signature, request, $"the bundle cannot be verified: {e.Message}");
        }
    }

    private static SignatureVerdict Verify(FoundSignature found, SigstoreBundle bundle, VerificationRequest request)
    {
        var problems = new List<string>();
        var content = SignedContent.From(bundle, request.ExpectedDigest, problems);
        var leaf = bundle.VerificationMaterial.Leaf;
        VerificationKey? leafKey = null;
        if (leaf is not null)
        {
            try
            {
                leafKey = VerificationKey.FromCertificate(leaf);
            }
            catch (FormatException e)
            {
                problems.Add($"the signing certificate's key cannot be used: {e.Message}");
            }
            if (leafKey is not null && content is not null && !content.VerifiesWith(leafKey))
                problems.Add($"the signature does not verify with the key of the bundle's certificate ({leaf.Subject})");
        }

        var anchors = new List<AnchorResult>(request.Anchors.Count);
        SignerInfo? signer = leaf is not null ? CertificateIdentity.Describe(leaf) : null;
        DateTimeOffset? provenAt = null;
        foreach (var anchor in request.Anchors)
        {
            if (problems.Count > 0)
            {
                anchors.Add(new AnchorResult(anchor.Name, false, $"not counted: {problems[0]}"));
                continue;
            }
            switch (anchor)
            {
                case KeyAnchor key:
                {
                    var (result, verifiedWith) = CheckKey(key, content!);
                    anchors.Add(result);
                    if (verifiedWith is not null && signer is null)
                        signer = new SignerInfo { KeyFingerprint = verifiedWith.Fingerprint, KeyAlgorithm = verifiedWith.Description };
                    break;
                }
                case IdentityAnchor identity:
                {
                    var (result, at) = CheckIdentity(identity, bundle, leaf, content!, request.Now);
                    anchors.Add(result);
                    provenAt ??= at;
                    break;
                }
                default:
                    anchors.Add(new AnchorResult(anchor.Name, false, $"a {anchor.GetType().Name} does not apply to Sigstore bundles (key and identity anchors do)"));
                    break;
            }
        }

        // When no anchor proved the time, the log's integrated time is still worth showing, as claimed.
        DateTimeOffset? claimed = bundle.VerificationMaterial.TlogEntries is [{ IntegratedTime: > 0 } entry, ..]
            ? DateTimeOffset.FromUnixTimeSeconds(Math.Min(entry.IntegratedTime, 253402300799))
            : null;
        return new SignatureVerdict
        {
            Format = SignatureFormat.SigstoreBundle,
            SignatureManifest = found.SignatureManifest,
            LayerIndex = found.LayerIndex,
            SignedDigest = content?.SignedDigest,
            SignedReference = content?.SignedReference,
            Signer = signer,
            SignedAt = provenAt ?? claimed,
            TimestampVerified = provenAt is not null,
            Problems = problems,
            Anchors = anchors,
        };
    }

    private static (AnchorResult Result, VerificationKey? Key) CheckKey(KeyAnchor anchor, SignedContent content)
    {
        VerificationKey key;
        try
        {
            key = VerificationKey.FromPem(anchor.PublicKeyPem);
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return (new AnchorResult(anchor.Name, false, $"key {anchor.Name} is not a usable public key: {e.Message}"), null);
        }
        return content.VerifiesWith(key)
            ? (new AnchorResult(anchor.Name, true, $"verified with key {anchor.Name} ({key.Description}, {content.Describe()})"), key)
            : (new AnchorResult(anchor.Name, false, $"the signature does not verify with key {anchor.Name} ({key.Description})"), null);
    }

    private static (AnchorResult Result, DateTimeOffset? ProvenAt) CheckIdentity(IdentityAnchor anchor, SigstoreBundle bundle, X509Certificate2? leaf, SignedContent content, DateTimeOffset now)
    {
        AnchorResult No(string reason) => new(anchor.Name, false, reason);
        if (leaf is null) return (No("the bundle is signed with a bare key, not a certificate"), null);

        TrustedRoot? root = null;
        if (anchor.TrustedRootJson is not null)
        {
            (root, string? problem) = ParseRoot(anchor.TrustedRootJson);
            if (root is null) return (No($"the anchor's trusted root is unusable: {problem}"), null);
        }
        IReadOnlyList<X509Certificate2> pemRoots, pemIntermediates;
        try
        {
            pemRoots = anchor.RootsPem.SelectMany(CertificateChains.LoadPem).ToList();
            pemIntermediates = anchor.IntermediatesPem.SelectMany(CertificateChains.LoadPem).ToList();
        }
        catch (CryptographicException e)
        {
            return (No($"the anchor's PEM certificates are unusable: {e.Message}"), null);
        }
        if (pemRoots.Count == 0 && (root is null || root.CertificateAuthorities.Count == 0))
            return (No("the anchor has no trusted roots (no certificate authority in its trusted root, no PEM roots)"), null);

        string? mismatch = IdentityMatcher.Mismatch(leaf, anchor);
        if (mismatch is not null) return (No(mismatch), null);

        // When was the certificate used? Only what the anchor's trusted root proves counts.
        var notes = new List<string>();
        var proven = new List<(DateTimeOffset Time, string Source)>();
        if (root is not null)
        {
            foreach (var entry in bundle.VerificationMaterial.TlogEntries)
            {
                var result = TlogEntryVerifier.Verify(entry, root, bundle, leaf.RawData);
                notes.Add(result.Reason);
                if (result.ProvenTime is { } t) proven.Add((t, $"transparency log {entry.Describe()}"));
            }
            foreach (byte[] token in bundle.VerificationMaterial.Rfc3161Timestamps)
            {
                foreach (byte[] signature in bundle.Signatures)
                {
                    var result = TimestampVerifier.Verify(token, signature, root);
                    if (result.Time is { } t)
                    {
                        proven.Add((t, result.Reason));
                        break;
                    }
                    notes.Add(result.Reason);
                }
            }
        }

        var failures = new List<string>();
        foreach (var (time, source) in proven)
        {
            string? chained = Chain(leaf, bundle, root, pemRoots, pemIntermediates, time, out string? problem);
            if (chained is not null)
                return (new AnchorResult(anchor.Name, true, $"{Who(leaf)}: certificate chains to {chained}, used at {time:u} as proven by {source}; {content.Describe()}"), time);
            failures.Add($"at {time:u} ({source}): {problem}");
        }
        if (failures.Count > 0) return (No($"the certificate is not trusted at any proven time: {string.Join("; ", failures)}"), null);

        bool validNow = now >= leaf.NotBefore.ToUniversalTime() && now <= leaf.NotAfter.ToUniversalTime();
        if (!validNow && anchor.RequireTimestampForExpired)
        {
            string why = notes.Count > 0 ? $" ({string.Join("; ", notes)})" : " (the bundle has no transparency log entry or RFC 3161 timestamp)";
            return (No($"certificate {leaf.Subject} is not valid at {now:u} (valid {leaf.NotBefore.ToUniversalTime():u} to {leaf.NotAfter.ToUniversalTime():u}) and nothing the anchor trusts proves it was used within its validity{why}"), null);
        }
        // Not requiring a timestamp means "assume it was used while valid": checked just inside its last second (X509Chain's end bound is exclusive).
        var notBefore = new DateTimeOffset(leaf.NotBefore.ToUniversalTime());
        var lastValid = new DateTimeOffset(leaf.NotAfter.ToUniversalTime()).AddSeconds(-1);
        var at = validNow ? now : lastValid < notBefore ? notBefore : lastValid;
        string? anchored = Chain(leaf, bundle, root, pemRoots, pemIntermediates, at, out string? chainProblem);
        if (anchored is null) return (No(chainProblem!), null);
        string when = validNow ? $"valid now ({at:u}), no proven signing time" : $"checked at its expiry {at:u}: the anchor does not require a timestamp";
        return (new AnchorResult(anchor.Name, true, $"{Who(leaf)}: certificate chains to {anchored}, {when}; {content.Describe()}"), null);
    }

    /// <returns>The root's name when the chain is valid at <paramref name="at"/>; otherwise null and the problem.</returns>
    private static string? Chain(X509Certificate2 leaf, SigstoreBundle bundle, TrustedRoot? root, IReadOnlyList<X509Certificate2> pemRoots,
        IReadOnlyList<X509Certificate2> pemIntermediates, DateTimeOffset at, out string? problem)
    {
        var bundled = bundle.VerificationMaterial.Certificates.Skip(1);
        var problems = new List<string>();
        if (root is not null)
        {
            // Each certificate authority is tried on its own, and only while the root says it may be trusted.
            foreach (var authority in root.CertificateAuthorities)
            {
                if (!authority.ValidFor.Contains(at))
                {
                    problems.Add($"{authority.Describe()} is not trusted at {at:u} ({authority.ValidFor})");
                    continue;
                }
                var (chain, p) = CertificateChains.Validate(leaf, authority.Intermediates.Concat(bundled).Concat(pemIntermediates), [authority.Root], at, requireCodeSigning: true);
                if (chain is not null)
                {
                    problem = null;
                    return $"{authority.Root.Subject} ({authority.Uri ?? "trusted root"})";
                }
                problems.Add(p!);
            }
        }
        if (pemRoots.Count > 0)
        {
            var (chain, p) = CertificateChains.Validate(leaf, bundled.Concat(pemIntermediates), pemRoots.ToList(), at, requireCodeSigning: true);
            if (chain is not null)
            {
                problem = null;
                return chain[^1].Subject;
            }
            problems.Add(p!);
        }
        problem = string.Join("; ", problems.Distinct());
        return null;
    }

    private static string Who(X509Certificate2 leaf)
    {
        var names = CertificateIdentity.SubjectAlternativeNames(leaf);
        string identity = names.Count > 0 ? string.Join(", ", names) : leaf.Subject;
        return CertificateIdentity.OidcIssuer(leaf) is { } issuer ? $"{identity} (issuer {issuer})" : identity;
    }

    private static (TrustedRoot? Root, string? Problem) ParseRoot(string json)
    {
        if (RootCache.TryGetValue(json, out var cached)) return cached;
        var parsed = TrustedRoot.TryParse(json, out var root, out string? problem) ? (root, (string?)null) : (null, problem);
        // Policies name a handful of roots; the cache is bounded so a caller cycling through many cannot grow it.
        if (RootCache.Count >= MaxCachedRoots) RootCache.Clear();
        RootCache[json] = parsed;
        return parsed;
    }

    private static SignatureVerdict Refused(FoundSignature found, VerificationRequest request, string problem) => new()
    {
        Format = SignatureFormat.SigstoreBundle,
        SignatureManifest = found.SignatureManifest,
        LayerIndex = found.LayerIndex,
        Problems = [problem],
        Anchors = request.Anchors.Select(a => new AnchorResult(a.Name, false, $"not counted: {problem}")).ToList(),
    };
}
