using Bollard.Core.Auth;

namespace Bollard.Trust.Policy;

/// <summary>
/// A checked trust policy (made only by <see cref="TrustPolicyParser"/>): where it applies, how it is enforced, the
/// named signers and which of them must have signed, and the scanner rules. Immutable and thread-safe.
/// </summary>
public sealed record TrustPolicy
{
    public required string Name { get; init; }

    public string? Description { get; init; }

    public required NamespacePattern Namespace { get; init; }

    public required PolicyMode Mode { get; init; }

    /// <summary>In document order.</summary>
    public IReadOnlyList<PolicySigner> Signers { get; init; } = [];

    /// <summary>null: no signature is required.</summary>
    public Requirement? Require { get; init; }

    /// <summary>null: findings do not matter.</summary>
    public VulnerabilityRules? Vulnerabilities { get; init; }

    public bool SbomRequired { get; init; }

    /// <summary>The document it was read from (for storing and showing it again).</summary>
    public required TrustPolicyDocument Document { get; init; }

    /// <summary>
    /// Set when the stored document can no longer be read (written by another version of Bollard, or damaged): the
    /// policy then still covers its namespace in its stored mode, and every image violates it with this reason. A
    /// namespace under an enforcing policy never opens up because its policy became unreadable.
    /// </summary>
    public string? Unreadable { get; init; }

    /// <summary>Whether evaluating it needs the image's scan facts.</summary>
    public bool NeedsScanFacts => Vulnerabilities is not null || SbomRequired;

    public PolicySigner? Signer(string name) => Signers.FirstOrDefault(s => s.Name == name);
}

public enum SignerKind
{
    Key,
    ServerKey,
    Identity,
    Notation,
}

/// <summary>A named signer of a policy and the anchor its signatures are trusted through.</summary>
/// <param name="Anchor">Null only for <see cref="SignerKind.ServerKey"/>: that anchor is made when the key is resolved (<see cref="IServerKeyResolver"/>).</param>
/// <param name="ServerKey">The server-held key's name, for <see cref="SignerKind.ServerKey"/>.</param>
public sealed record PolicySigner(string Name, SignerKind Kind, Signatures.TrustAnchor? Anchor, string? ServerKey = null)
{
    /// <summary>How it is shown in reasons: <c>key</c>, <c>server key ci-key</c>, <c>identity release@example.com</c>, <c>notation trust store</c>.</summary>
    public string Describe() => Kind switch
    {
        SignerKind.Key => "key",
        SignerKind.ServerKey => $"server key {ServerKey}",
        SignerKind.Identity when Anchor is Signatures.IdentityAnchor id => $"identity {id.Subject ?? id.SubjectRegex}",
        SignerKind.Notation => "notation trust store",
        _ => Kind.ToString(),
    };
}

/// <summary>The scanner rules of a policy.</summary>
/// <param name="MaxSeverity">The most severe finding allowed (a <c>Severities</c> word), or <c>none</c>: every finding counts.</param>
/// <param name="OnlyFixable">Only findings with a fix count.</param>
/// <param name="GracePeriod">An advisory published after the image was admitted counts only once this has passed since its publication.</param>
public sealed record VulnerabilityRules(string MaxSeverity, bool OnlyFixable, TimeSpan GracePeriod)
{
    public const string None = "none";

    /// <summary>Findings ranked above this (<c>Severities.Rank</c>) count; -1 for <c>none</c>.</summary>
    public int MaxRank => MaxSeverity == None ? -1 : Core.Scanning.Severities.Rank(MaxSeverity);
}
