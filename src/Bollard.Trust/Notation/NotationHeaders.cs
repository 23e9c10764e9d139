using Bollard.Trust.Signatures;

namespace Bollard.Trust.Notation;

/// <summary>Names and media types of the Notary Project signature specification (signature-specification.md, signature-envelope-*.md).</summary>
internal static class NotationHeaders
{
    public const string ArtifactType = SignatureMediaTypes.NotationSignature;
    public const string JwsMediaType = SignatureMediaTypes.Jws;
    public const string CoseMediaType = SignatureMediaTypes.Cose;
    public const string PayloadContentType = "application/vnd.cncf.notary.payload.v1+json";
    public const string ThumbprintAnnotation = "io.cncf.notary.x509chain.thumbprint#S256";

    public const string SigningScheme = "io.cncf.notary.signingScheme";
    public const string SigningTime = "io.cncf.notary.signingTime";
    public const string AuthenticSigningTime = "io.cncf.notary.authenticSigningTime";
    public const string Expiry = "io.cncf.notary.expiry";
    public const string VerificationPlugin = "io.cncf.notary.verificationPlugin";
    public const string VerificationPluginMinVersion = "io.cncf.notary.verificationPluginMinVersion";
    public const string TimestampSignature = "io.cncf.notary.timestampSignature";
    public const string SigningAgent = "io.cncf.notary.signingAgent";

    public const string SchemeX509 = "notary.x509";
    public const string SchemeSigningAuthority = "notary.x509.signingAuthority";

    /// <summary>Largest envelope read (the timestamped vector is 10 KB; a chain of ten 4 KB certificates fits many times over).</summary>
    public const int MaxEnvelopeBytes = 1 << 20;

    /// <summary>Most certificates accepted in a signing chain.</summary>
    public const int MaxChainLength = 10;

    /// <summary>Most entries accepted in <c>crit</c> (Notation defines five critical headers).</summary>
    public const int MaxCriticalHeaders = 16;

    /// <summary>
    /// The protected headers that must be listed in <c>crit</c> when present (the specification marks them critical);
    /// <see cref="SigningScheme"/> must always be listed. The plugin headers are understood only to be refused: Bollard
    /// runs no verification plugins.
    /// </summary>
    public static readonly string[] Critical = [SigningScheme, AuthenticSigningTime, Expiry, VerificationPlugin, VerificationPluginMinVersion];

    /// <summary>
    /// Checks <c>crit</c> against the protected headers present. Returns the problem, or null when it lists
    /// <see cref="SigningScheme"/>, every critical header present and nothing else that Bollard does not understand.
    /// </summary>
    public static string? CheckCritical(IReadOnlyList<string> crit, Func<string, bool> present)
    {
        ArgumentNullException.ThrowIfNull(crit);
        ArgumentNullException.ThrowIfNull(present);
        if (crit.Count > MaxCriticalHeaders) return $"crit lists {crit.Count} headers (at most {MaxCriticalHeaders})";
        if (crit.Distinct(StringComparer.Ordinal).Count() != crit.Count) return "crit lists a header twice";
        foreach (string name in crit)
        {
            if (!Critical.Contains(name, StringComparer.Ordinal)) return $"crit lists '{name}', a critical header Bollard does not understand";
            if (!present(name)) return $"crit lists '{name}', which is not in the protected header";
        }
        if (!crit.Contains(SigningScheme, StringComparer.Ordinal)) return $"crit does not list {SigningScheme}";
        foreach (string name in Critical)
            if (present(name) && !crit.Contains(name, StringComparer.Ordinal)) return $"the protected header has {name} but crit does not list it";
        if (present(VerificationPlugin) || present(VerificationPluginMinVersion))
            return "the signature requires a Notation verification plugin, which Bollard does not run";
        return null;
    }
}
