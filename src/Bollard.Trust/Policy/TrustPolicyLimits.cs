namespace Bollard.Trust.Policy;

/// <summary>
/// Bounds on a policy document, so that a namespace maintainer cannot make policy parsing or evaluation expensive
/// for everyone pulling from the registry.
/// </summary>
public sealed record TrustPolicyLimits
{
    /// <summary>The JSON nesting allowed (the document's own levels plus a requirement tree of about 24 levels).</summary>
    public const int MaxJsonDepth = 32;

    public static TrustPolicyLimits Default { get; } = new();

    /// <summary>A Sigstore trusted root is about 10 KiB; a few inline roots and trust stores fit well under this.</summary>
    public int MaxDocumentBytes { get; init; } = 512 * 1024;

    public int MaxSigners { get; init; } = 32;

    /// <summary>Requirement nodes (signers and combinators) in the whole tree.</summary>
    public int MaxRequirementNodes { get; init; } = 128;

    /// <summary>Certificates in one list (roots, intermediates, a trust store, TSA roots), after splitting PEM bundles.</summary>
    public int MaxCertificatesPerList { get; init; } = 32;

    public int MaxTrustedIdentities { get; init; } = 64;

    /// <summary>Length of a name, subject, issuer or regular expression.</summary>
    public int MaxStringLength { get; init; } = 1024;

    /// <summary>Errors reported for one document (the rest are summarised).</summary>
    public int MaxErrors { get; init; } = 50;

    public TimeSpan MaxGracePeriod { get; init; } = TimeSpan.FromDays(365);
}
