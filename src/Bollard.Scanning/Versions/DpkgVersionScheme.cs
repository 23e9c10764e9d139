using Bollard.Core.Scanning;

namespace Bollard.Scanning.Versions;

/// <summary>
/// Debian version order, as <c>dpkg --compare-versions</c> (dpkg lib/dpkg/version.c <c>dpkg_version_compare</c>):
/// <c>[epoch:]upstream[-revision]</c>. The epoch is a number (absent = 0); the revision is what follows the last
/// <c>-</c> (absent = empty, which equals <c>0</c>). Upstream and revision are compared by <c>verrevcmp</c>:
/// alternating non-digit runs (letters sort before other characters, <c>~</c> before everything, even the end) and
/// digit runs compared by value.
/// </summary>
/// <remarks>
/// Invalid (FormatException): empty, whitespace, a non-numeric or empty epoch, an empty upstream or revision. Like
/// dpkg, characters outside <c>[A-Za-z0-9.+~:-]</c> are tolerated (dpkg only warns about them).
/// </remarks>
public sealed class DpkgVersionScheme : IVersionScheme
{
    public static DpkgVersionScheme Instance { get; } = new();

    public string PackageType => PackageTypes.Deb;

    public bool IsValid(string version) => TryParse(version, out _, out _, out _, out _);

    public int Compare(string left, string right)
    {
        Parse(left, out var le, out var lu, out var lr);
        Parse(right, out var re, out var ru, out var rr);
        int c = VersionText.CompareDigits(le, re);
        if (c != 0) return c;
        c = VerRevCmp(lu, ru);
        return c != 0 ? c : VerRevCmp(lr, rr);
    }

    private static void Parse(string version, out ReadOnlySpan<char> epoch, out ReadOnlySpan<char> upstream, out ReadOnlySpan<char> revision)
    {
        if (!TryParse(version, out epoch, out upstream, out revision, out string? error))
            throw VersionText.Invalid("Debian", version, error);
    }

    private static bool TryParse(string version, out ReadOnlySpan<char> epoch, out ReadOnlySpan<char> upstream,
        out ReadOnlySpan<char> revision, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        epoch = upstream = revision = default;
        ArgumentNullException.ThrowIfNull(version);
        ReadOnlySpan<char> s = version.AsSpan().Trim();
        if (s.IsEmpty) { error = "empty"; return false; }
        foreach (char ch in s)
        {
            if (char.IsWhiteSpace(ch)) { error = "embedded whitespace"; return false; }
        }
        int colon = s.IndexOf(':');
        if (colon >= 0)
        {
            epoch = s[..colon];
            if (!VersionText.AllDigits(epoch)) { error = "the epoch is not a number"; return false; }
            s = s[(colon + 1)..];
        }
        int dash = s.LastIndexOf('-');
        if (dash >= 0)
        {
            revision = s[(dash + 1)..];
            if (revision.IsEmpty) { error = "empty revision"; return false; }
            s = s[..dash];
        }
        upstream = s;
        if (upstream.IsEmpty) { error = "empty upstream version"; return false; }
        error = null;
        return true;
    }

    // dpkg's order(): digits 0 (never reached), letters their code, '~' -1, end 0, anything else code + 256.
    private static int Order(char c) =>
        VersionText.IsAsciiLetter(c) ? c : c == '~' ? -1 : c == '\0' ? 0 : c + 256;

    internal static int VerRevCmp(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            while ((i < a.Length && !VersionText.IsDigit(a[i])) || (j < b.Length && !VersionText.IsDigit(b[j])))
            {
                int ac = i < a.Length && !VersionText.IsDigit(a[i]) ? Order(a[i]) : 0;
                int bc = j < b.Length && !VersionText.IsDigit(b[j]) ? Order(b[j]) : 0;
                if (ac != bc) return ac < bc ? -1 : 1;
                i++;
                j++;
            }
            int da = i < a.Length ? VersionText.DigitRun(a[i..]) : 0;
            int db = j < b.Length ? VersionText.DigitRun(b[j..]) : 0;
            int c = VersionText.CompareDigits(i < a.Length ? a.Slice(i, da) : default, j < b.Length ? b.Slice(j, db) : default);
            if (c != 0) return c;
            i += da;
            j += db;
        }
        return 0;
    }
}
