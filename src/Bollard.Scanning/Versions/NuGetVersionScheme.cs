using Bollard.Core.Scanning;

namespace Bollard.Scanning.Versions;

/// <summary>
/// NuGet version order (NuGet.Versioning <c>VersionComparer.Default</c>): <c>Major[.Minor[.Patch[.Revision]]][-label][+metadata]</c>
/// with missing parts and leading zeros normalized (<c>1.0</c> = <c>1.0.0.0</c>, <c>1.01</c> = <c>1.1</c>), the
/// release label ordered as SemVer 2 pre-releases but case-insensitively (<c>1.0.0-BETA</c> = <c>1.0.0-beta</c>),
/// and build metadata ignored. Numbers of any length compare by value.
/// </summary>
/// <remarks>Invalid (FormatException): no leading number, more than four numeric parts, empty parts or labels.</remarks>
public sealed class NuGetVersionScheme : IVersionScheme
{
    public static NuGetVersionScheme Instance { get; } = new();

    public string PackageType => PackageTypes.NuGet;

    public bool IsValid(string version) => TryParse(version, out _, out _, out _);

    public int Compare(string left, string right)
    {
        Parse(left, out var ln, out var ll);
        Parse(right, out var rn, out var rl);
        for (int i = 0; i < 4; i++)
        {
            int c = VersionText.CompareDigits(i < ln.Count ? left.AsSpan()[ln[i]] : "0", i < rn.Count ? right.AsSpan()[rn[i]] : "0");
            if (c != 0) return c;
        }
        return SemanticVersion.ComparePreRelease(left.AsSpan()[ll], right.AsSpan()[rl], ignoreCase: true);
    }

    private static void Parse(string version, out List<Range> numbers, out Range label)
    {
        if (!TryParse(version, out numbers, out label, out string? error)) throw VersionText.Invalid("NuGet", version, error);
    }

    private static bool TryParse(string version, out List<Range> numbers, out Range label, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(version);
        numbers = [];
        label = default;
        ReadOnlySpan<char> s = version;
        int end = s.Length;
        int plus = s.IndexOf('+');
        if (plus >= 0)
        {
            if (plus == s.Length - 1) { error = "empty metadata"; return false; }
            end = plus;
        }
        int dash = s[..end].IndexOf('-');
        int numbersEnd = dash >= 0 ? dash : end;
        int pos = 0;
        while (true)
        {
            int n = VersionText.DigitRun(s[pos..numbersEnd]);
            if (n == 0) { error = "a version part is not a number"; return false; }
            numbers.Add(new Range(pos, pos + n));
            pos += n;
            if (pos == numbersEnd) break;
            if (s[pos] != '.') { error = $"unexpected '{s[pos]}'"; return false; }
            pos++;
        }
        if (numbers.Count > 4) { error = "more than four numeric parts"; return false; }
        label = dash >= 0 ? new Range(dash + 1, end) : new Range(end, end);
        if (dash >= 0)
        {
            foreach (Range r in s[label].Split('.'))
            {
                ReadOnlySpan<char> id = s[label][r];
                if (id.IsEmpty || id.ContainsAnyExcept(LabelChars)) { error = "bad release label"; return false; }
            }
        }
        error = null;
        return true;
    }

    private static readonly System.Buffers.SearchValues<char> LabelChars =
        System.Buffers.SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-");
}
