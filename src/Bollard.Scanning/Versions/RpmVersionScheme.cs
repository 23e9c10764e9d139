using Bollard.Core.Scanning;

namespace Bollard.Scanning.Versions;

/// <summary>
/// RPM version order (rpm lib/rpmvercmp.c and the EVR split of lib/rpmds.c): <c>[epoch:]version[-release]</c>.
/// The epoch is the run of digits before a <c>:</c> (absent = 0; a <c>:</c> after anything else is part of the
/// version, as in module streams); the release follows the last <c>-</c>. Epochs compare as numbers, then version
/// and release with <c>rpmvercmp</c>: alphanumeric segments (digits by value and above letters), everything else a
/// separator, <c>~</c> before everything even the end, <c>^</c> after the end but before anything else. A version
/// without a release sorts below the same version with one.
/// </summary>
/// <remarks>Invalid (FormatException): empty or whitespace-bearing text.</remarks>
public sealed class RpmVersionScheme : IVersionScheme
{
    public static RpmVersionScheme Instance { get; } = new();

    public string PackageType => PackageTypes.Rpm;

    public bool IsValid(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return version.Length > 0 && !version.Any(char.IsWhiteSpace);
    }

    public int Compare(string left, string right)
    {
        if (!IsValid(left)) throw VersionText.Invalid("RPM", left, "empty or contains whitespace");
        if (!IsValid(right)) throw VersionText.Invalid("RPM", right, "empty or contains whitespace");
        Split(left, out var le, out var lv, out var lr, out bool lhasRelease);
        Split(right, out var re, out var rv, out var rr, out bool rhasRelease);
        int c = VersionText.CompareDigits(le, re);
        if (c == 0) c = RpmVerCmp(lv, rv);
        if (c == 0 && (lhasRelease || rhasRelease)) c = lhasRelease == rhasRelease ? RpmVerCmp(lr, rr) : lhasRelease ? 1 : -1;
        return c;
    }

    private static void Split(string evr, out ReadOnlySpan<char> epoch, out ReadOnlySpan<char> version, out ReadOnlySpan<char> release, out bool hasRelease)
    {
        ReadOnlySpan<char> s = evr;
        int digits = VersionText.DigitRun(s);
        epoch = default;
        if (digits < s.Length && s[digits] == ':')
        {
            epoch = s[..digits];
            s = s[(digits + 1)..];
        }
        int dash = s.LastIndexOf('-');
        hasRelease = dash >= 0;
        release = hasRelease ? s[(dash + 1)..] : default;
        version = hasRelease ? s[..dash] : s;
    }

    private static bool IsAlnum(char c) => VersionText.IsDigit(c) || VersionText.IsAsciiLetter(c);

    internal static int RpmVerCmp(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        if (a.SequenceEqual(b)) return 0;
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            while (i < a.Length && !IsAlnum(a[i]) && a[i] is not ('~' or '^')) i++;
            while (j < b.Length && !IsAlnum(b[j]) && b[j] is not ('~' or '^')) j++;
            bool ea = i >= a.Length, eb = j >= b.Length;

            // Tilde sorts before everything else, even the end.
            if ((!ea && a[i] == '~') || (!eb && b[j] == '~'))
            {
                if (ea || a[i] != '~') return 1;
                if (eb || b[j] != '~') return -1;
                i++;
                j++;
                continue;
            }
            // Caret: like tilde, except that the end (the base version) sorts before it.
            if ((!ea && a[i] == '^') || (!eb && b[j] == '^'))
            {
                if (ea) return -1;
                if (eb) return 1;
                if (a[i] != '^') return 1;
                if (b[j] != '^') return -1;
                i++;
                j++;
                continue;
            }
            if (ea || eb) break;

            int si = i, sj = j;
            bool numeric = VersionText.IsDigit(a[i]);
            if (numeric)
            {
                while (i < a.Length && VersionText.IsDigit(a[i])) i++;
                while (j < b.Length && VersionText.IsDigit(b[j])) j++;
            }
            else
            {
                while (i < a.Length && VersionText.IsAsciiLetter(a[i])) i++;
                while (j < b.Length && VersionText.IsAsciiLetter(b[j])) j++;
            }
            // Segments of different types: the numeric one is newer.
            if (sj == j) return numeric ? 1 : -1;
            int c = numeric
                ? VersionText.CompareDigits(a[si..i], b[sj..j])
                : Math.Sign(a[si..i].SequenceCompareTo(b[sj..j]));
            if (c != 0) return c;
        }
        bool doneA = i >= a.Length, doneB = j >= b.Length;
        if (doneA && doneB) return 0;
        return doneA ? -1 : 1;
    }
}
