using Bollard.Core.Scanning;

namespace Bollard.Scanning.Versions;

/// <summary>
/// Maven version order (https://maven.apache.org/pom.html#version-order-specification, as
/// <c>ComparableVersion</c> implements it): the version is split into tokens at <c>.</c>, <c>-</c> and every
/// digit/letter transition (a transition counts as <c>-</c>), each token remembering its separator; empty tokens are
/// <c>0</c>; trailing null tokens (<c>0</c>, <c>""</c>, <c>final</c>, <c>ga</c>, <c>release</c>) are trimmed before
/// the end and before each remaining <c>-</c>. Tokens compare pairwise, the shorter list padded with nulls:
/// with the same separator numbers by value, qualifiers
/// <c>alpha &lt; beta &lt; milestone &lt; rc = cr &lt; snapshot &lt; "" = final = ga = release &lt; sp</c>, unknown
/// qualifiers after those (alphabetically, case-insensitively) and numbers after qualifiers; with different
/// separators <c>.qualifier &lt; -qualifier &lt; -number &lt; .number</c>. <c>a</c>, <c>b</c>, <c>m</c> directly
/// followed by a number mean alpha, beta, milestone.
/// </summary>
/// <remarks>Every string is a Maven version (Maven itself never rejects one); only empty text is invalid.</remarks>
public sealed class MavenVersionScheme : IVersionScheme
{
    public static MavenVersionScheme Instance { get; } = new();

    public string PackageType => PackageTypes.Maven;

    private readonly record struct Token(char Separator, string Value, bool Numeric);

    public bool IsValid(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return !string.IsNullOrWhiteSpace(version);
    }

    public int Compare(string left, string right)
    {
        if (!IsValid(left)) throw VersionText.Invalid("Maven", left, "empty");
        if (!IsValid(right)) throw VersionText.Invalid("Maven", right, "empty");
        List<Token> a = Tokenize(left.Trim()), b = Tokenize(right.Trim());
        for (int i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            int c = i >= a.Count ? -CompareWithNull(b[i]) : i >= b.Count ? CompareWithNull(a[i]) : CompareTokens(a[i], b[i]);
            if (c != 0) return c;
        }
        return 0;
    }

    private static List<Token> Tokenize(string version)
    {
        var tokens = new List<Token>();
        string v = version.ToLowerInvariant();
        char separator = '\0';
        int start = 0;
        for (int i = 0; i <= v.Length; i++)
        {
            if (i < v.Length && v[i] is not ('.' or '-')) continue;
            AddPiece(tokens, v[start..i], separator);
            if (i < v.Length) separator = v[i];
            start = i + 1;
        }
        Trim(tokens);
        return tokens;
    }

    /// <summary>One piece between separators, split further at digit/non-digit transitions (each a "-").</summary>
    private static void AddPiece(List<Token> tokens, string piece, char separator)
    {
        if (piece.Length == 0)
        {
            tokens.Add(new Token(separator, "0", true));
            return;
        }
        int start = 0;
        for (int i = 1; i <= piece.Length; i++)
        {
            if (i < piece.Length && VersionText.IsDigit(piece[i]) == VersionText.IsDigit(piece[i - 1])) continue;
            string value = piece[start..i];
            bool followedByNumber = i < piece.Length;
            tokens.Add(MakeToken(start == 0 ? separator : '-', value, followedByNumber));
            start = i;
        }
    }

    private static Token MakeToken(char separator, string value, bool followedByNumber)
    {
        if (VersionText.IsDigit(value[0]))
        {
            string trimmed = value.TrimStart('0');
            return new Token(separator, trimmed.Length == 0 ? "0" : trimmed, true);
        }
        value = value switch
        {
            "cr" => "rc",
            "ga" or "final" or "release" => "",
            "a" when followedByNumber => "alpha",
            "b" when followedByNumber => "beta",
            "m" when followedByNumber => "milestone",
            _ => value,
        };
        return new Token(separator, value, false);
    }

    private static bool IsNull(Token t) => t.Numeric ? t.Value == "0" : t.Value.Length == 0;

    /// <summary>Trailing nulls go, at the end and before each remaining "-", from the end to the start.</summary>
    private static void Trim(List<Token> tokens)
    {
        int i = tokens.Count - 1;
        while (i > 0)
        {
            if (IsNull(tokens[i]))
            {
                tokens.RemoveAt(i);
                i--;
                continue;
            }
            while (i >= 0 && tokens[i].Separator != '-') i--;
            i--;
        }
    }

    private static int QualifierRank(string q) => q switch
    {
        "alpha" => 0,
        "beta" => 1,
        "milestone" => 2,
        "rc" => 3,
        "snapshot" => 4,
        "" => 5,
        "sp" => 6,
        _ => 7,
    };

    private static int SeparatorRank(Token t) => (t.Separator, t.Numeric) switch
    {
        ('-', false) => 1,
        ('-', true) => 2,
        (_, true) => 3,
        _ => 0,
    };

    private static int CompareTokens(Token x, Token y)
    {
        // The first token has no separator: treat it as '.' (both lists start with one).
        char sx = x.Separator == '\0' ? '.' : x.Separator, sy = y.Separator == '\0' ? '.' : y.Separator;
        if (sx != sy) return SeparatorRank(x with { Separator = sx }).CompareTo(SeparatorRank(y with { Separator = sy }));
        if (x.Numeric && y.Numeric) return VersionText.CompareDigits(x.Value, y.Value);
        if (x.Numeric != y.Numeric) return x.Numeric ? 1 : -1;
        return CompareQualifiers(x.Value, y.Value);
    }

    private static int CompareQualifiers(string x, string y)
    {
        int rx = QualifierRank(x), ry = QualifierRank(y);
        if (rx != ry) return rx.CompareTo(ry);
        return rx == 7 ? Math.Sign(string.CompareOrdinal(x, y)) : 0;
    }

    /// <summary>A token against the padding of a shorter version: a number against 0, a qualifier against "" (release).</summary>
    private static int CompareWithNull(Token t) =>
        t.Numeric ? (t.Value == "0" ? 0 : 1) : CompareQualifiers(t.Value, "");
}
