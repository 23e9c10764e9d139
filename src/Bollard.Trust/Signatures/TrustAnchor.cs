namespace Bollard.Trust.Signatures;

/// <summary>
/// Something a signature can be trusted through, named so a policy (and every reason) can refer to it: a public key,
/// a certificate identity under a set of roots (keyless-style Fulcio certificates and bring-your-own PKI alike), or a
/// Notation trust store with trusted identities. A verifier reports, for each anchor it is given, whether the signature
/// is trusted through it and why (or why not).
/// </summary>
public abstract record TrustAnchor(string Name);

/// <summary>A public key in PEM (SubjectPublicKeyInfo: ECDSA P-256/P-384/P-521, RSA PKCS#1 v1.5 or PSS, Ed25519).</summary>
public sealed record KeyAnchor(string Name, string PublicKeyPem) : TrustAnchor(Name);

/// <summary>
/// A signing certificate that chains to <see cref="RootsPem"/> (through the signature's own chain and
/// <see cref="IntermediatesPem"/>) and whose identity matches. For Sigstore, <see cref="TrustedRootJson"/> (a
/// <c>trusted_root.json</c>) may replace the PEM lists: its certificate authorities are the roots, its transparency
/// logs and timestamp authorities prove when the short-lived certificate was used.
/// </summary>
public sealed record IdentityAnchor(string Name) : TrustAnchor(Name)
{
    /// <summary>The OIDC issuer Fulcio recorded (extension 1.3.6.1.4.1.57264.1.8, or .1.1), exact; null: any.</summary>
    public string? Issuer { get; init; }

    /// <summary>A regular expression (anchored, whole value) for the issuer; null: <see cref="Issuer"/> decides.</summary>
    public string? IssuerRegex { get; init; }

    /// <summary>The exact identity: a SAN email or URI, or the certificate subject's CN; null: any.</summary>
    public string? Subject { get; init; }

    /// <summary>A regular expression (anchored, whole value) for the SAN email/URI or the subject; null: <see cref="Subject"/> decides.</summary>
    public string? SubjectRegex { get; init; }

    public IReadOnlyList<string> RootsPem { get; init; } = [];

    public IReadOnlyList<string> IntermediatesPem { get; init; } = [];

    /// <summary>
    /// Transparency-log public keys (PEM SubjectPublicKeyInfo, e.g. Rekor's <c>rekor.pub</c>) whose signed entry timestamps
    /// prove when a certificate was used (cosign's <c>dev.sigstore.cosign/bundle</c>); a log is named by the SHA-256 of its key.
    /// </summary>
    public IReadOnlyList<string> TransparencyLogKeysPem { get; init; } = [];

    /// <summary>A Sigstore <c>trusted_root.json</c> (protobuf-specs TrustedRoot), or null.</summary>
    public string? TrustedRootJson { get; init; }

    /// <summary>
    /// A certificate that is no longer valid now counts only when its use inside its validity is proven (a transparency
    /// log entry's integrated time or an RFC 3161 timestamp from <see cref="TrustedRootJson"/>). Default true.
    /// </summary>
    public bool RequireTimestampForExpired { get; init; } = true;
}

/// <summary>
/// A Notation trust store (its CA roots, and the TSA roots for RFC 3161 countersignatures) with trusted identities, as in
/// notation's trust policy: <c>*</c>, or <c>x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=wabbit-networks.io</c>
/// (every RDN of the pattern must be in the leaf's subject).
/// </summary>
public sealed record NotationAnchor(string Name) : TrustAnchor(Name)
{
    public IReadOnlyList<string> CertificatesPem { get; init; } = [];

    public IReadOnlyList<string> TimestampRootsPem { get; init; } = [];

    public IReadOnlyList<string> TrustedIdentities { get; init; } = ["*"];
}
