namespace Bollard.Scanning.Versions;

/// <summary>Small helpers shared by the version schemes.</summary>
internal static class VersionText
{
    /// <summary>
    /// Compares two runs of ASCII digits by value, of any length (advisories carry 30-digit "versions"; no overflow,
    /// no BigInteger): leading zeros are ignored, then the longer run is larger, then the first differing digit decides.
    /// An empty run counts as zero.
    /// </summary>
    public static int CompareDigits(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        a = a.TrimStart('0');
        b = b.TrimStart('0');
        if (a.Length != b.Length) return a.Length < b.Length ? -1 : 1;
        return Math.Sign(a.SequenceCompareTo(b));
    }

    public static bool IsDigit(char c) => c is >= '0' and <= '9';

    public static bool IsAsciiLetter(char c) => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z';

    public static bool AllDigits(ReadOnlySpan<char> s) => s.Length > 0 && !s.ContainsAnyExceptInRange('0', '9');

    /// <summary>Length of the run of digits at the start of <paramref name="s"/>.</summary>
    public static int DigitRun(ReadOnlySpan<char> s)
    {
        int i = s.IndexOfAnyExceptInRange('0', '9');
        return i < 0 ? s.Length : i;
    }

    public static FormatException Invalid(string scheme, string version, string reason) =>
        new($"Not a valid {scheme} version: '{version}' ({reason}).");
}
