using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bollard.Core.Oci;
using Bollard.Trust.Certificates;
using Bollard.Trust.Keys;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Cosign;

/// <summary>
/// Verifies cosign tag-scheme signatures: one layer of a <c>sha256-&lt;hex&gt;.sig</c> manifest, whose bytes are the
/// simple-signing payload and whose <c>dev.cosignproject.cosign/signature</c> annotation is the signature over exactly
/// those bytes (cosign SIGNATURE_SPEC.md; containers-signature.5.md for the payload).
/// <para>
/// A signature counts through an anchor only when (1) the payload is a strict simple-signing payload of type
/// <c>cosign container image signature</c> (or containers/image's <c>atomic container signature</c>), (2) it names the
/// exact manifest digest asked about, (3) its <c>docker-reference</c> names the repository asked about, and (4) the anchor
/// trusts the signer: a <see cref="KeyAnchor"/>'s key verifies the signature, or for an <see cref="IdentityAnchor"/> the
/// certificate annotation's leaf verifies it, chains to the anchor's roots at a time it was valid, and names the identity.
/// </para>
/// <para>
/// docker-reference: the registry host is not checked (a client may reach Bollard under any name, and a signature copied
/// with its image between registries, as <c>skopeo copy</c> does, stays valid); the repository path after the host must
/// equal the repository asked about exactly, so a signature copied from another repository never counts. A tag or digest
/// after the path is ignored. The host is the first path component when it contains <c>.</c> or <c>:</c> or is
/// <c>localhost</c> (docker/distribution's rule); Docker Hub's <c>library/</c> shorthand is not expanded.
/// </para>
/// <para>
/// Time: a certificate is judged at <see cref="VerificationRequest.Now"/> while it is valid. Fulcio certificates live ten
/// minutes, so an expired one counts only when the Rekor bundle's signed entry timestamp verifies with one of the anchor's
/// transparency-log keys, the entry is this signature's (same payload hash, signature and certificate), and its
/// integrated time is inside the certificate's validity; the chain is then judged at that time.
/// </para>
/// SHA-1 is refused everywhere: certificate signatures (<see cref="CertificateChains"/>), signature hashes and log entry
/// hashes. Pure CPU, thread-safe, never throws for bad input.
/// </summary>
public sealed class CosignVerifier : ISignatureVerifier
{
    /// <summary>The largest annotation values read (a signature is under 1 KiB; a certificate a few KiB; a chain of ten certificates under 64 KiB).</summary>
    private const int MaxSignatureChars = 16 * 1024;
    private const int MaxCertificateChars = 64 * 1024;
    private const int MaxChainChars = 256 * 1024;
    private const int MaxChainCertificates = 10;

    public SignatureFormat Format => SignatureFormat.Cosign;

    public SignatureVerdict Verify(FoundSignature signature, VerificationRequest request)
    {
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(request);
        var problems = new List<string>();
        ReadOnlySpan<byte> payloadBytes = signature.Content.Span;

        if (!string.Equals(signature.MediaType, CosignAnnotations.PayloadMediaType, StringComparison.Ordinal))
            problems.Add($"the layer's media type is '{SimpleSigningPayload.Shorten(signature.MediaType)}', not a cosign simple-signing payload ({CosignAnnotations.PayloadMediaType})");

        byte[]? signatureBytes = ReadSignature(signature, problems);

        // Parsed before the signature is checked only to report what it claims; nothing it says counts unless a key verifies these exact bytes.
        var (payload, payloadProblem) = SimpleSigningPayload.Parse(payloadBytes);
        if (payloadProblem is not null) problems.Add(payloadProblem);
        if (payload is not null)
        {
            if (!string.Equals(payload.ManifestDigest, request.ExpectedDigest.ToString(), StringComparison.Ordinal))
                problems.Add($"the payload signs {SimpleSigningPayload.Shorten(payload.ManifestDigest)}, not the image {request.ExpectedDigest}");
            if (ReferenceProblem(payload.DockerReference, request.Repository) is { } referenceProblem
                && !request.AlsoSignedAs.Any(name => ReferenceProblem(payload.DockerReference, name) is null))
                problems.Add(referenceProblem);
        }

        var (leaf, chain, certificateProblem) = ReadCertificates(signature);
        var (bundle, bundleProblem) = signature.Annotations.TryGetValue(CosignAnnotations.Bundle, out string? bundleJson)
            ? RekorBundle.Parse(bundleJson)
            : (null, "it has no Rekor bundle (dev.sigstore.cosign/bundle)");
        EntrySigner? entrySigner = null;
        if (bundle is not null && signatureBytes is not null)
        {
            (entrySigner, string? entryProblem) = bundle.ReadEntry(payloadBytes, signatureBytes);
            if (entryProblem is not null) bundleProblem = entryProblem;
        }

        var context = new Context(signature, payloadBytes.ToArray(), signatureBytes, leaf, chain, certificateProblem, bundle, entrySigner, bundleProblem, request.Now);
        var results = new List<AnchorResult>(request.Anchors.Count);
        SignerInfo? signer = leaf is not null ? CertificateIdentity.Describe(leaf) : null;
        DateTimeOffset? signedAt = bundle?.IntegratedAt;
        bool timestampVerified = false;
        var keys = new KeyTrial();
        foreach (var anchor in request.Anchors)
        {
            var outcome = anchor switch
            {
                KeyAnchor key => VerifyKey(key, context, keys, results.Count),
                IdentityAnchor identity => VerifyIdentity(identity, context),
                _ => new Outcome(false, $"{Kind(anchor)} {anchor.Name} does not apply to cosign signatures"),
            };
            if (outcome.SignedBy is not null && signer is null) signer = outcome.SignedBy;
            if (outcome.TimestampLog is not null) timestampVerified = true;
            results.Add(Result(anchor.Name, outcome, problems));
        }
        // Only a signature no key verified is probed for SHA-1 (a second verification per key), to name why it failed.
        if (keys.Verified is null && context.Signature is not null)
            foreach (var (index, anchor, key) in keys.Failed)
                if (IsSha1Signature(key, context.Payload, context.Signature))
                    results[index] = Result(anchor.Name, new Outcome(false, $"the signature is made with SHA-1, which is not accepted (key {anchor.Name})"), problems);
        // The SET proves the time even when no anchor in this request trusts the signer; any identity anchor's logs may prove it.
        if (!timestampVerified && bundle is not null && entrySigner is not null)
            timestampVerified = request.Anchors.OfType<IdentityAnchor>().Any(a => bundle.VerifyTimestamp(AnchorMaterial.For(a).Logs).Log is not null);

        return new SignatureVerdict
        {
            Format = SignatureFormat.Cosign,
            SignatureManifest = signature.SignatureManifest,
            LayerIndex = signature.LayerIndex,
            SignedDigest = payload?.ManifestDigest,
            SignedReference = payload?.DockerReference,
            Signer = signer,
            SignedAt = signedAt,
            TimestampVerified = timestampVerified,
            Problems = problems,
            Anchors = results,
        };
    }

    /// <summary>Why <paramref name="reference"/> does not name <paramref name="repository"/>; null when it does (see the class remarks).</summary>
    internal static string? ReferenceProblem(string reference, string repository)
    {
        string name = reference;
        int at = name.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0) name = name[..at];
        int lastSlash = name.LastIndexOf('/');
        int colon = name.LastIndexOf(':');
        if (colon > lastSlash) name = name[..colon];
        int firstSlash = name.IndexOf('/', StringComparison.Ordinal);
        if (firstSlash > 0)
        {
            string first = name[..firstSlash];
            if (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost")
                name = name[(firstSlash + 1)..];
        }
        if (string.Equals(name, repository, StringComparison.Ordinal)) return null;
        return $"the payload's docker-reference '{SimpleSigningPayload.Shorten(reference)}' names repository '{SimpleSigningPayload.Shorten(name)}', not '{repository}' (a signature copied from another repository does not count)";
    }

    private static byte[]? ReadSignature(FoundSignature signature, List<string> problems)
    {
        if (!signature.Annotations.TryGetValue(CosignAnnotations.Signature, out string? base64) || string.IsNullOrWhiteSpace(base64))
        {
            problems.Add($"the layer has no {CosignAnnotations.Signature} annotation");
            return null;
        }
        if (base64.Length > MaxSignatureChars)
        {
            problems.Add($"the signature annotation is longer than {MaxSignatureChars / 1024} KiB");
            return null;
        }
        try
        {
            // cosign's RSA signatures may be wrapped at 76 characters; Convert ignores the line breaks.
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            problems.Add("the signature annotation is not base64");
            return null;
        }
    }

    private static (X509Certificate2? Leaf, IReadOnlyList<X509Certificate2> Chain, string? Problem) ReadCertificates(FoundSignature signature)
    {
        if (!signature.Annotations.TryGetValue(CosignAnnotations.Certificate, out string? pem) || string.IsNullOrWhiteSpace(pem))
            return (null, [], null);
        if (pem.Length > MaxCertificateChars) return (null, [], $"the certificate annotation is longer than {MaxCertificateChars / 1024} KiB");
        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPem(pem);
        }
        catch (CryptographicException e)
        {
            return (null, [], $"the certificate annotation is not a PEM certificate ({e.Message})");
        }
        if (!signature.Annotations.TryGetValue(CosignAnnotations.Chain, out string? chainPem) || string.IsNullOrWhiteSpace(chainPem))
            return (leaf, [], null);
        if (chainPem.Length > MaxChainChars) return (leaf, [], $"the chain annotation is longer than {MaxChainChars / 1024} KiB");
        try
        {
            var chain = CertificateChains.LoadPem(chainPem);
            return chain.Count > MaxChainCertificates
                ? (leaf, [], $"the chain annotation has {chain.Count} certificates, more than {MaxChainCertificates}")
                : (leaf, chain, null);
        }
        catch (CryptographicException e)
        {
            return (leaf, [], $"the chain annotation is not PEM certificates ({e.Message})");
        }
    }

    private static AnchorResult Result(string anchor, Outcome outcome, List<string> problems)
    {
        bool trusted = outcome.Verified && problems.Count == 0;
        string reason = outcome.Verified && problems.Count > 0 ? $"{outcome.Reason}, but it does not count: {problems[0]}" : outcome.Reason;
        return new AnchorResult(anchor, trusted, reason);
    }

    /// <param name="keys">The key anchors tried so far for this signature.</param>
    /// <param name="index">This anchor's place in the results (a failure may be renamed SHA-1 later).</param>
    private static Outcome VerifyKey(KeyAnchor anchor, Context context, KeyTrial keys, int index)
    {
        var material = AnchorMaterial.For(anchor);
        if (material.Key is null) return new Outcome(false, material.Problem!);
        var key = material.Key;
        if (context.Signature is null) return new Outcome(false, "there is no readable signature to verify");
        // A signature made by one key does not verify with another one: once a key verified it, the other keys of the
        // policy are not tried (a policy of n keys costs about n/2 verifications per signature, not n, plus n SHA-1
        // probes); a second anchor holding the same key is verified as usual.
        if (keys.Verified is { } by && !by.Key.SameKey(key))
            return new Outcome(false, $"the signature is key {by.Name}'s ({Short(by.Key.Fingerprint)}), not key {anchor.Name}'s ({key.Description}, {Short(key.Fingerprint)})");
        string? how = VerifyWith(key, context.Payload, context.Signature);
        if (how is null)
        {
            keys.Failed.Add((index, anchor, key));
            return new Outcome(false, $"the signature does not verify with key {anchor.Name} ({key.Description}, {Short(key.Fingerprint)})");
        }
        keys.Verified ??= (anchor.Name, key);
        var signer = new SignerInfo { KeyFingerprint = key.Fingerprint, KeyAlgorithm = key.Description };
        return new Outcome(true, $"verified with key {anchor.Name} ({how}, {Short(key.Fingerprint)})", signer);
    }

    /// <summary>The key anchors of one signature's verification: the first that verified it, and those that did not.</summary>
    private sealed class KeyTrial
    {
        public (string Name, VerificationKey Key)? Verified { get; set; }

        public List<(int Index, KeyAnchor Anchor, VerificationKey Key)> Failed { get; } = [];
    }

    private static Outcome VerifyIdentity(IdentityAnchor anchor, Context context)
    {
        if (context.CertificateProblem is not null) return new Outcome(false, context.CertificateProblem);
        if (context.Leaf is not { } leaf)
            return new Outcome(false, $"it is signed with a bare key, not a certificate (no {CosignAnnotations.Certificate} annotation), so identity {anchor.Name} cannot trust it");
        var material = AnchorMaterial.For(anchor);
        if (material.Problem is not null) return new Outcome(false, material.Problem);
        if (context.Signature is null) return new Outcome(false, "there is no readable signature to verify");

        VerificationKey key;
        try
        {
            key = VerificationKey.FromCertificate(leaf);
        }
        catch (FormatException e)
        {
            return new Outcome(false, $"the certificate's public key is not usable: {e.Message}");
        }
        string? how = VerifyWith(key, context.Payload, context.Signature);
        if (how is null)
            return new Outcome(false, IsSha1Signature(key, context.Payload, context.Signature)
                ? "the signature is made with SHA-1, which is not accepted"
                : $"the signature does not verify with the certificate's key ({key.Description}, {leaf.Subject})");

        var (matched, identity) = CertificateIdentity.Match(leaf, anchor);
        if (!matched) return new Outcome(false, $"the certificate is not identity {anchor.Name}: {identity}");

        // When was it used? A verified SET of this very entry proves it; otherwise only "now" can be judged.
        var notBefore = new DateTimeOffset(leaf.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
        string? log = null;
        string? timestampProblem = context.BundleProblem;
        if (context.Bundle is not null && context.EntrySigner is not null)
        {
            if (!context.EntrySigner.Is(leaf)) timestampProblem = "its log entry names another certificate";
            else (log, timestampProblem) = context.Bundle.VerifyTimestamp(material.Logs);
        }
        DateTimeOffset at;
        string when;
        if (log is not null)
        {
            at = context.Bundle!.IntegratedAt;
            if (at < notBefore || at > notAfter)
                return new Outcome(false, $"the transparency log {log} integrated it at {at:u}, outside the certificate's validity ({notBefore:u} to {notAfter:u})", TimestampLog: log);
            when = $"used at {at:u} as {log} proves";
        }
        else if (context.Now >= notBefore && context.Now <= notAfter)
        {
            at = context.Now;
            when = "valid now";
        }
        else if (!anchor.RequireTimestampForExpired)
        {
            at = notBefore;
            when = $"expired {notAfter:u}, accepted without a timestamp as anchor {anchor.Name} allows";
        }
        else
        {
            string state = context.Now < notBefore ? $"is not valid until {notBefore:u}" : $"expired at {notAfter:u} (valid {notBefore:u} to {notAfter:u})";
            return new Outcome(false, $"the certificate {state}, and no trusted timestamp proves it was used while valid: {timestampProblem ?? "no transparency-log entry"}");
        }

        var intermediates = context.Chain.Concat(material.Intermediates);
        var (built, chainProblem) = CertificateChains.Validate(leaf, intermediates, material.Roots, at, requireCodeSigning: false);
        if (built is null) return new Outcome(false, chainProblem!, TimestampLog: log);
        if (material.AuthorityProblem(built, notBefore) is { } authorityProblem) return new Outcome(false, authorityProblem, TimestampLog: log);
        // Go's x509 rule, as cosign applies it: a leaf with extended key usages must allow code signing; one without allows any.
        if (HasExtendedKeyUsage(leaf) && !CertificateChains.HasCodeSigningEku(leaf))
            return new Outcome(false, $"the certificate {leaf.Subject} has extended key usages but not code signing", TimestampLog: log);
        return new Outcome(true, $"verified with certificate {identity} ({how}), chained to {built[^1].Subject}, {when}", TimestampLog: log);
    }

    /// <summary>How the signature verified (e.g. <c>ECDSA P-256, SHA-256</c>), or null. cosign hashes with SHA-256 for every key; P-384/P-521 keys from newer sigstore clients may use their curve's hash.</summary>
    private static string? VerifyWith(VerificationKey key, byte[] payload, byte[] signature)
    {
        IEnumerable<SignatureOptions> candidates = key.Family switch
        {
            KeyFamily.Rsa => [new(HashAlgorithmName.SHA256), new(HashAlgorithmName.SHA256, RsaPss: true)],
            KeyFamily.Ecdsa when key.DefaultHash != HashAlgorithmName.SHA256 => [new(HashAlgorithmName.SHA256), new(key.DefaultHash)],
            _ => [new(HashAlgorithmName.SHA256)],
        };
        foreach (var options in candidates)
        {
            if (!key.Verify(payload, signature, options)) continue;
            return key.Family switch
            {
                KeyFamily.Ed25519 => key.Description,
                KeyFamily.Rsa => $"{key.Description} {(options.RsaPss ? "PSS" : "PKCS#1 v1.5")}, {options.Hash.Name}",
                _ => $"{key.Description}, {options.Hash.Name}",
            };
        }
        return null;
    }

    /// <summary>Only asked after a signature failed: whether it is a valid SHA-1 signature, so the reason can say so.</summary>
    private static bool IsSha1Signature(VerificationKey key, byte[] payload, byte[] signature)
    {
        try
        {
            switch (key.Family)
            {
                case KeyFamily.Ecdsa:
                {
                    using var ec = ECDsa.Create();
                    ec.ImportSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
                    return ec.VerifyData(payload, signature, HashAlgorithmName.SHA1, DSASignatureFormat.Rfc3279DerSequence);
                }
                case KeyFamily.Rsa:
                {
                    using var rsa = RSA.Create();
                    rsa.ImportSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
                    return rsa.VerifyData(payload, signature, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1)
                        || rsa.VerifyData(payload, signature, HashAlgorithmName.SHA1, RSASignaturePadding.Pss);
                }
                default:
                    return false;
            }
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static bool HasExtendedKeyUsage(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Any(e => !e.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == "2.5.29.37.0"));

    private static string Kind(TrustAnchor anchor) => anchor switch
    {
        NotationAnchor => "Notation trust store",
        _ => "anchor",
    };

    private static string Short(string fingerprint) => "sha256:" + fingerprint[..12] + "…";

    private sealed record Context(
        FoundSignature Found, byte[] Payload, byte[]? Signature, X509Certificate2? Leaf, IReadOnlyList<X509Certificate2> Chain, string? CertificateProblem,
        RekorBundle? Bundle, EntrySigner? EntrySigner, string? BundleProblem, DateTimeOffset Now);

    /// <param name="Verified">The anchor trusts the signer (the payload's own problems are applied by the caller).</param>
    /// <param name="SignedBy">The signer as the anchor showed it (a bare key's fingerprint).</param>
    /// <param name="TimestampLog">The transparency log whose SET proved the time, when one did.</param>
    private sealed record Outcome(bool Verified, string Reason, SignerInfo? SignedBy = null, string? TimestampLog = null);
}
