namespace Bollard.Scanning.Versions;

/// <summary>
/// A parsed Semantic Versioning 2.0.0 version (semver.org §11 precedence), read leniently as advisories write them:
/// an optional <c>v</c>/<c>V</c> and <c>=</c> prefix (npm), missing minor/patch count as 0, numbers of any length,
/// and anything after a fourth <c>.</c> component is treated as build metadata. Build metadata never affects order.
/// </summary>
internal readonly struct SemanticVersion
{
    private readonly string _text;
    private readonly Range _major, _minor, _patch, _pre;

    private SemanticVersion(string text, Range major, Range minor, Range patch, Range pre)
    {
        _text = text;
        _major = major;
        _minor = minor;
        _patch = patch;
        _pre = pre;
    }

    public static bool TryParse(string text, out SemanticVersion version, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        version = default;
        ReadOnlySpan<char> s = text.AsSpan();
        int pos = 0;
        while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++;
        int end = s.Length;
        while (end > pos && char.IsWhiteSpace(s[end - 1])) end--;
        if (pos < end && s[pos] == '=') pos++;
        if (pos < end && s[pos] is 'v' or 'V') pos++;
        var parts = new Range[3];
        int count = 0;
        while (count < 3)
        {
            int n = VersionText.DigitRun(s[pos..end]);
            if (n == 0)
            {
                error = count == 0 ? "no major version number" : "empty version component";
                return false;
            }
            parts[count++] = new Range(pos, pos + n);
            pos += n;
            if (pos < end && s[pos] == '.' && count < 3) pos++;
            else break;
        }
        for (int i = count; i < 3; i++) parts[i] = new Range(pos, pos);
        Range pre = new(pos, pos);
        if (pos < end && s[pos] == '-')
        {
            int start = ++pos;
            while (pos < end && s[pos] != '+') pos++;
            pre = new Range(start, pos);
            if (!ValidIdentifiers(s[pre])) { error = "bad pre-release"; return false; }
        }
        if (pos < end && s[pos] is '+' or '.')
        {
            // Build metadata (or, leniently, a fourth numeric component): ignored for order, but must be sane.
            if (!ValidIdentifiers(s[(pos + 1)..end], allowDash: true)) { error = "bad build metadata"; return false; }
            pos = end;
        }
        if (pos != end) { error = $"unexpected '{s[pos]}'"; return false; }
        version = new SemanticVersion(text, parts[0], parts[1], parts[2], pre);
        error = null;
        return true;
    }

    private static bool ValidIdentifiers(ReadOnlySpan<char> s, bool allowDash = true)
    {
        if (s.IsEmpty) return false;
        foreach (Range r in s.Split('.'))
        {
            ReadOnlySpan<char> id = s[r];
            if (id.IsEmpty) return false;
            foreach (char c in id)
            {
                if (!(VersionText.IsDigit(c) || VersionText.IsAsciiLetter(c) || (allowDash && c == '-'))) return false;
            }
        }
        return true;
    }

    public ReadOnlySpan<char> Major => _text.AsSpan()[_major];
    public ReadOnlySpan<char> Minor => _text.AsSpan()[_minor];
    public ReadOnlySpan<char> Patch => _text.AsSpan()[_patch];
    public ReadOnlySpan<char> PreRelease => _text.AsSpan()[_pre];

    public int CompareTo(SemanticVersion other)
    {
        int c = VersionText.CompareDigits(Major, other.Major);
        if (c == 0) c = VersionText.CompareDigits(Minor, other.Minor);
        if (c == 0) c = VersionText.CompareDigits(Patch, other.Patch);
        return c != 0 ? c : ComparePreRelease(PreRelease, other.PreRelease);
    }

    /// <summary>semver §11.3-11.4: no pre-release is higher; identifiers compared left to right, numeric ones by value and lower than alphanumeric ones (ASCII order); a shorter prefix is lower.</summary>
    public static int ComparePreRelease(ReadOnlySpan<char> a, ReadOnlySpan<char> b, bool ignoreCase = false)
    {
        if (a.IsEmpty || b.IsEmpty) return a.IsEmpty == b.IsEmpty ? 0 : a.IsEmpty ? 1 : -1;
        var ea = a.Split('.');
        var eb = b.Split('.');
        while (true)
        {
            bool ha = ea.MoveNext(), hb = eb.MoveNext();
            if (!ha || !hb) return ha == hb ? 0 : ha ? 1 : -1;
            ReadOnlySpan<char> x = a[ea.Current], y = b[eb.Current];
            bool nx = VersionText.AllDigits(x), ny = VersionText.AllDigits(y);
            int c = nx && ny ? VersionText.CompareDigits(x, y)
                : nx != ny ? (nx ? -1 : 1)
                : ignoreCase ? Math.Sign(x.CompareTo(y, StringComparison.OrdinalIgnoreCase))
                : Math.Sign(x.SequenceCompareTo(y));
            if (c != 0) return c;
        }
    }
}
