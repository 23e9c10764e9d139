using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Bollard.Core.Oci;

/// <summary>
/// A content digest <c>algorithm:hex</c> of a supported algorithm. Parsing is strict (lower-case hex of the
/// algorithm's exact length), so a digest can be used as a file name without any path escaping.
/// </summary>
public readonly record struct Digest
{
    private Digest(DigestAlgorithm algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    public DigestAlgorithm Algorithm { get; }
    public string Hex { get; }

    public override string ToString() => Algorithm is null ? "" : Algorithm.Name + ":" + Hex;

    /// <summary>Parses a digest; a malformed one or an unsupported algorithm is <c>DIGEST_INVALID</c>.</summary>
    public static Digest Parse(string? value)
    {
        if (TryParse(value, out var digest, out var problem)) return digest;
        throw new OciException(OciErrors.DigestInvalid, problem);
    }

    public static bool TryParse(string? value, out Digest digest) => TryParse(value, out digest, out _);

    public static bool TryParse(string? value, out Digest digest, [NotNullWhen(false)] out string? problem)
    {
        digest = default;
        if (string.IsNullOrEmpty(value)) { problem = "digest is empty"; return false; }
        int colon = value.IndexOf(':');
        if (colon <= 0 || colon == value.Length - 1) { problem = $"'{Truncate(value)}' is not of the form algorithm:encoded"; return false; }
        string alg = value[..colon];
        string hex = value[(colon + 1)..];
        if (!IsAlgorithmGrammar(alg)) { problem = $"'{Truncate(alg)}' is not a valid digest algorithm"; return false; }
        var algorithm = DigestAlgorithm.Find(alg);
        if (algorithm is null) { problem = $"unsupported digest algorithm '{alg}' (supported: sha256, sha512)"; return false; }
        if (hex.Length != algorithm.HexLength || !IsLowerHex(hex))
        {
            problem = $"{alg} digests are {algorithm.HexLength} lower-case hex characters";
            return false;
        }
        digest = new Digest(algorithm, hex);
        problem = null;
        return true;
    }

    public static Digest FromHash(DigestAlgorithm algorithm, ReadOnlySpan<byte> hash) =>
        new(algorithm, Convert.ToHexStringLower(hash));

    public static Digest Compute(DigestAlgorithm algorithm, ReadOnlySpan<byte> content)
    {
        Span<byte> hash = stackalloc byte[64];
        int n = algorithm == DigestAlgorithm.Sha512 ? SHA512.HashData(content, hash) : SHA256.HashData(content, hash);
        return FromHash(algorithm, hash[..n]);
    }

    public static Digest Sha256Of(ReadOnlySpan<byte> content) => Compute(DigestAlgorithm.Sha256, content);

    private static bool IsAlgorithmGrammar(string alg)
    {
        // image-spec descriptor.md: algorithm ::= algorithm-component (algorithm-separator algorithm-component)*
        // algorithm-component ::= [a-z0-9]+ ; algorithm-separator ::= [+._-]
        bool lastWasSeparator = true;
        foreach (char c in alg)
        {
            bool isComponent = c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
            bool isSeparator = c is '+' or '.' or '_' or '-';
            if (isComponent) lastWasSeparator = false;
            else if (isSeparator && !lastWasSeparator) lastWasSeparator = true;
            else return false;
        }
        return !lastWasSeparator;
    }

    private static bool IsLowerHex(string s)
    {
        foreach (char c in s)
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f'))) return false;
        return true;
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "...";
}
