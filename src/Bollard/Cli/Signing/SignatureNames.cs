using Bollard.Trust.Signatures;

namespace Bollard.Cli.Signing;

/// <summary>How the signing commands name formats and take <c>--output</c>.</summary>
internal static class SignatureNames
{
    public static string Name(SignatureFormat format) => format switch
    {
        SignatureFormat.Cosign => "cosign",
        SignatureFormat.SigstoreBundle => "sigstore-bundle",
        SignatureFormat.NotationJws => "notation",
        SignatureFormat.NotationCose => "notation-cose",
        _ => format.ToString(),
    };

    /// <returns>true for json.</returns>
    public static bool ParseOutput(string? value) => (value ?? "text").ToLowerInvariant() switch
    {
        "text" => false,
        "json" => true,
        _ => throw CliException.Usage($"--output '{value}' is not one of text, json"),
    };
}
