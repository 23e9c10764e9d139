using Bollard.Core.Oci;

namespace Bollard.Trust.Signatures;

/// <summary>
/// What verifying one <see cref="FoundSignature"/> against a set of anchors showed: who signed what, and for each anchor
/// whether the signature counts through it, with the reason a person can read either way. A signature counts only when it
/// is cryptographically valid, its payload names the exact image digest asked about (and, for cosign, the repository),
/// and an anchor trusts its signer.
/// </summary>
public sealed record SignatureVerdict
{
    public required SignatureFormat Format { get; init; }

    public required Digest SignatureManifest { get; init; }

    public int LayerIndex { get; init; }

    /// <summary>The manifest digest the signed payload names; null when it could not be read.</summary>
    public string? SignedDigest { get; init; }

    /// <summary>The reference the payload names (cosign's <c>docker-reference</c>, an in-toto subject name), when it names one.</summary>
    public string? SignedReference { get; init; }

    /// <summary>Who signed, as far as the signature shows it; null when unreadable.</summary>
    public SignerInfo? Signer { get; init; }

    /// <summary>When it was signed, as proven (a transparency log's integrated time, an RFC 3161 timestamp) or claimed (Notation's signing time); null when unknown.</summary>
    public DateTimeOffset? SignedAt { get; init; }

    /// <summary>Whether <see cref="SignedAt"/> is proven by a trusted timestamp (true) or only claimed by the signer.</summary>
    public bool TimestampVerified { get; init; }

    /// <summary>Problems that make the signature count through no anchor (malformed, over another digest, a SHA-1 signature), in order found.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>One result per anchor asked about, in the order given.</summary>
    public IReadOnlyList<AnchorResult> Anchors { get; init; } = [];

    /// <summary>The names of the anchors through which this signature counts.</summary>
    public IEnumerable<string> TrustedBy => Anchors.Where(a => a.Trusted).Select(a => a.Anchor);
}

/// <param name="Anchor">The <see cref="TrustAnchor.Name"/>.</param>
/// <param name="Trusted">The signature counts through this anchor.</param>
/// <param name="Reason">Why, e.g. <c>verified with key dev (ECDSA P-256, SHA-256)</c> or <c>signature does not verify with key dev</c>.</param>
public sealed record AnchorResult(string Anchor, bool Trusted, string Reason);

/// <summary>The signer as a signature shows it.</summary>
public sealed record SignerInfo
{
    /// <summary>SHA-256 (lowercase hex) of the signing public key's SubjectPublicKeyInfo DER.</summary>
    public string? KeyFingerprint { get; init; }

    /// <summary>The key's algorithm, e.g. <c>ECDSA P-256</c>, <c>RSA-3072 PSS</c>, <c>Ed25519</c>.</summary>
    public string? KeyAlgorithm { get; init; }

    /// <summary>The signing certificate's subject DN, when signed with a certificate.</summary>
    public string? CertificateSubject { get; init; }

    /// <summary>The signing certificate's issuer DN.</summary>
    public string? CertificateIssuer { get; init; }

    /// <summary>SAN emails and URIs of the signing certificate.</summary>
    public IReadOnlyList<string> SubjectAlternativeNames { get; init; } = [];

    /// <summary>The OIDC issuer a Fulcio certificate records.</summary>
    public string? OidcIssuer { get; init; }

    public DateTimeOffset? NotBefore { get; init; }

    public DateTimeOffset? NotAfter { get; init; }

    /// <summary>The signing certificate's SHA-256 thumbprint (lowercase hex), as Notation names certificates.</summary>
    public string? CertificateSha256 { get; init; }
}
