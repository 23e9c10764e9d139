using Bollard.Core.Scanning;

namespace Bollard.Scanning.Versions;

/// <summary>
/// RubyGems version order (<c>Gem::Version#&lt;=&gt;</c>): a <c>-</c> means <c>.pre.</c>; the version is cut into
/// segments, runs of digits (numbers) and runs of letters (strings); trailing zero segments are dropped from the
/// numeric part and from the part starting at the first string ("canonical segments"). Segments compare pairwise (a
/// missing one is 0): numbers by value, strings ordinally, a string below a number, so any letter makes a
/// pre-release (<c>1.0.a</c> &lt; <c>1.0</c>).
/// </summary>
/// <remarks>
/// Invalid (FormatException): text not starting with a digit, or with characters other than ASCII letters, digits,
/// <c>.</c> and <c>-</c>. A little more lenient than <c>Gem::Version.correct?</c>, which also rejects letters
/// straight after the first number (<c>1beta</c>); those still order as RubyGems would segment them.
/// </remarks>
public sealed class GemVersionScheme : IVersionScheme
{
    public static GemVersionScheme Instance { get; } = new();

    public string PackageType => PackageTypes.Gem;

    private static readonly System.Buffers.SearchValues<char> Allowed =
        System.Buffers.SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-");

    public bool IsValid(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        ReadOnlySpan<char> v = version.AsSpan().Trim();
        // Blank is version "0", as Gem::Version.new("") is.
        return v.IsEmpty || (VersionText.IsDigit(v[0]) && !v.ContainsAnyExcept(Allowed));
    }

    public int Compare(string left, string right)
    {
        List<string> a = CanonicalSegments(left), b = CanonicalSegments(right);
        for (int i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            string x = i < a.Count ? a[i] : "0", y = i < b.Count ? b[i] : "0";
            bool nx = VersionText.IsDigit(x[0]), ny = VersionText.IsDigit(y[0]);
            int c = nx && ny ? VersionText.CompareDigits(x, y) : nx != ny ? (nx ? 1 : -1) : Math.Sign(string.CompareOrdinal(x, y));
            if (c != 0) return c;
        }
        return 0;
    }

    private List<string> CanonicalSegments(string version)
    {
        if (!IsValid(version)) throw VersionText.Invalid("RubyGems", version, "not digits, letters, dots and dashes starting with a digit");
        string v = version.Trim().Replace("-", ".pre.", StringComparison.Ordinal);
        if (v.Length == 0) v = "0";
        var segments = new List<string>();
        for (int i = 0; i < v.Length;)
        {
            int start = i;
            if (VersionText.IsDigit(v[i])) while (i < v.Length && VersionText.IsDigit(v[i])) i++;
            else if (VersionText.IsAsciiLetter(v[i])) while (i < v.Length && VersionText.IsAsciiLetter(v[i])) i++;
            else
            {
                i++;
                continue;
            }
            segments.Add(v[start..i]);
        }
        int firstString = segments.FindIndex(s => !VersionText.IsDigit(s[0]));
        if (firstString < 0) firstString = segments.Count;
        List<string> numeric = segments[..firstString], rest = segments[firstString..];
        DropTrailingZeros(numeric);
        DropTrailingZeros(rest);
        numeric.AddRange(rest);
        return numeric;
    }

    private static void DropTrailingZeros(List<string> segments)
    {
        while (segments.Count > 0 && VersionText.IsDigit(segments[^1][0]) && segments[^1].TrimStart('0').Length == 0)
            segments.RemoveAt(segments.Count - 1);
    }
}
