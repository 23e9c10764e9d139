using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bollard.Trust.Policy;

/// <summary>
/// The JSON form of a trust policy exactly as users write it (docs/trust.md, "Trust policies"); read and written with
/// <see cref="PolicyJsonContext"/>, which refuses unknown and duplicate fields. Everything is nullable here so that
/// <see cref="TrustPolicyParser"/> can say precisely what is missing; <see cref="TrustPolicy"/> is the checked form.
/// </summary>
public sealed record TrustPolicyDocument
{
    public string? Name { get; init; }

    public string? Description { get; init; }

    /// <summary>A <c>NamespacePattern</c> (<c>prod/**</c>).</summary>
    public string? Namespace { get; init; }

    /// <summary><c>enforce</c>, <c>warn</c> or <c>off</c>.</summary>
    public string? Mode { get; init; }

    public Dictionary<string, SignerDocument>? Signers { get; init; }

    /// <summary>A requirement: a signer name, <c>{"allOf":[...]}</c>, <c>{"anyOf":[...]}</c> or <c>{"threshold":n,"of":[...],"required":[...]}</c>.</summary>
    public JsonElement? Require { get; init; }

    public VulnerabilityDocument? Vulnerabilities { get; init; }

    public SbomDocument? Sbom { get; init; }
}

/// <summary>One named signer: exactly one of <see cref="Key"/>, <see cref="ServerKey"/>, <see cref="Identity"/>, <see cref="Notation"/>.</summary>
public sealed record SignerDocument
{
    /// <summary>A PEM public key (cosign key pairs, any key Bollard verifies with).</summary>
    public string? Key { get; init; }

    /// <summary>The name of a signing key held by this server (its public key is looked up when the policy is evaluated).</summary>
    public string? ServerKey { get; init; }

    public IdentityDocument? Identity { get; init; }

    public NotationDocument? Notation { get; init; }
}

public sealed record IdentityDocument
{
    public string? Issuer { get; init; }

    public string? IssuerRegex { get; init; }

    public string? Subject { get; init; }

    public string? SubjectRegex { get; init; }

    /// <summary>PEM CA certificates the signing certificate must chain to.</summary>
    public List<string>? Roots { get; init; }

    public List<string>? Intermediates { get; init; }

    /// <summary>A Sigstore <c>trusted_root.json</c>, inline.</summary>
    public JsonElement? TrustedRoot { get; init; }

    /// <summary>Default true: an expired certificate counts only with a proven signing time.</summary>
    public bool? RequireTimestampForExpired { get; init; }
}

public sealed record NotationDocument
{
    /// <summary>PEM CA certificates (notation's <c>ca</c> trust store).</summary>
    public List<string>? TrustStore { get; init; }

    /// <summary>PEM roots of timestamp authorities (notation's <c>tsa</c> trust store).</summary>
    public List<string>? TsaRoots { get; init; }

    /// <summary><c>*</c> or <c>x509.subject: ...</c> entries; default <c>["*"]</c>.</summary>
    public List<string>? TrustedIdentities { get; init; }
}

public sealed record VulnerabilityDocument
{
    /// <summary>The most severe finding allowed: <c>critical</c>, <c>high</c>, <c>medium</c>, <c>low</c>, <c>negligible</c>, <c>unknown</c> or <c>none</c>.</summary>
    public string? MaxSeverity { get; init; }

    /// <summary>Only findings with a fixed version count.</summary>
    public bool? OnlyFixable { get; init; }

    /// <summary>How long an advisory published after the image was admitted does not count: <c>7d</c>, <c>12h</c>, <c>30m</c>, <c>2w</c>.</summary>
    public string? GracePeriod { get; init; }
}

public sealed record SbomDocument
{
    public bool? Required { get; init; }
}

/// <summary>
/// Strict: unknown fields, duplicate fields, numbers in strings and case-insensitive names are refused, so a typo
/// (<c>"requires"</c>) is an error instead of a silently weaker policy.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    PropertyNameCaseInsensitive = false,
    NumberHandling = JsonNumberHandling.Strict,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    AllowTrailingCommas = false,
    MaxDepth = TrustPolicyLimits.MaxJsonDepth,
    WriteIndented = true)]
[JsonSerializable(typeof(TrustPolicyDocument))]
public sealed partial class PolicyJsonContext : JsonSerializerContext;
