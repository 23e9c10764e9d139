using System.Text.RegularExpressions;
using Bollard.Core.Scanning;

namespace Bollard.Scanning.Versions;

/// <summary>
/// Python version order (PEP 440, as the <c>packaging</c> library implements it): <c>[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]</c>
/// with PEP 440's normalization (case, <c>alpha</c>/<c>beta</c>/<c>c</c>/<c>pre</c>/<c>preview</c> spellings, <c>-</c>/<c>_</c>/<c>.</c>
/// separators, implicit numbers, <c>1.0-1</c> as a post-release, a leading <c>v</c>). Releases compare with trailing
/// zeros ignored; <c>dev &lt; a &lt; b &lt; rc &lt; (release) &lt; post</c>, a dev release of a pre- or post-release
/// just below it; a local version above the same public version, its segments numbers above strings.
/// </summary>
/// <remarks>
/// Strings that are not PEP 440 versions are "legacy" versions, ordered as <c>packaging</c> before 22.0 did
/// (<c>LegacyVersion</c>): below every PEP 440 version, among themselves by their legacy key. Old distributions still
/// carry such versions in their metadata, so they are valid here; only empty text is invalid (FormatException).
/// </remarks>
public sealed partial class Pep440VersionScheme : IVersionScheme
{
    public static Pep440VersionScheme Instance { get; } = new();

    public string PackageType => PackageTypes.PyPI;

    [GeneratedRegex(@"^\s*v?(?:(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\.[0-9]+)*)(?<pre>[-_\.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?<pre_n>[0-9]+)?)?(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_\.]?(?<post_l>post|rev|r)[-_\.]?(?<post_n2>[0-9]+)?))?(?<dev>[-_\.]?(?<dev_l>dev)[-_\.]?(?<dev_n>[0-9]+)?)?)(?:\+(?<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Pep440();

    [GeneratedRegex(@"\d+|[a-z]+|\.|-", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex LegacyComponent();

    private sealed class Parsed
    {
        public string[]? Legacy;
        public string Epoch = "0";
        public string[] Release = [];
        public int PreKind;          // -1: none; 0 a, 1 b, 2 rc
        public string PreNumber = "0";
        public string? Post;
        public string? Dev;
        public string[]? Local;
    }

    public bool IsValid(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return !string.IsNullOrWhiteSpace(version);
    }

    public int Compare(string left, string right)
    {
        Parsed a = Parse(left), b = Parse(right);
        if (a.Legacy is not null || b.Legacy is not null)
        {
            if (a.Legacy is null) return 1;
            if (b.Legacy is null) return -1;
            return CompareSequences(a.Legacy, b.Legacy, (x, y) => Math.Sign(string.CompareOrdinal(x, y)));
        }
        int c = VersionText.CompareDigits(a.Epoch, b.Epoch);
        if (c != 0) return c;
        for (int i = 0; i < Math.Max(a.Release.Length, b.Release.Length); i++)
        {
            c = VersionText.CompareDigits(i < a.Release.Length ? a.Release[i] : "0", i < b.Release.Length ? b.Release[i] : "0");
            if (c != 0) return c;
        }
        c = PreKey(a).CompareTo(PreKey(b));
        if (c == 0 && a.PreKind >= 0 && b.PreKind >= 0) c = VersionText.CompareDigits(a.PreNumber, b.PreNumber);
        if (c != 0) return c;
        c = CompareOptional(a.Post, b.Post, missingIsLow: true);
        if (c != 0) return c;
        c = CompareOptional(a.Dev, b.Dev, missingIsLow: false);
        if (c != 0) return c;
        if (a.Local is null || b.Local is null) return a.Local is null == b.Local is null ? 0 : a.Local is null ? -1 : 1;
        return CompareSequences(a.Local, b.Local, CompareLocalSegment);
    }

    // packaging: no pre, no post but a dev release sorts before any pre-release (1.0.dev0 < 1.0a0); no pre otherwise after all of them.
    private static int PreKey(Parsed p) => p.PreKind >= 0 ? p.PreKind : p.Post is null && p.Dev is not null ? -1 : 3;

    private static int CompareOptional(string? x, string? y, bool missingIsLow)
    {
        if (x is null || y is null) return x is null == y is null ? 0 : (x is null) == missingIsLow ? -1 : 1;
        return VersionText.CompareDigits(x, y);
    }

    private static int CompareLocalSegment(string x, string y)
    {
        bool nx = VersionText.AllDigits(x), ny = VersionText.AllDigits(y);
        if (nx && ny) return VersionText.CompareDigits(x, y);
        if (nx != ny) return nx ? 1 : -1;
        return Math.Sign(string.CompareOrdinal(x, y));
    }

    private static int CompareSequences(string[] a, string[] b, Func<string, string, int> compare)
    {
        for (int i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            int c = compare(a[i], b[i]);
            if (c != 0) return c;
        }
        return a.Length.CompareTo(b.Length);
    }

    private static Parsed Parse(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (string.IsNullOrWhiteSpace(version)) throw VersionText.Invalid("Python", version, "empty");
        Match m = Pep440().Match(version);
        if (!m.Success) return new Parsed { Legacy = LegacyKey(version) };
        var p = new Parsed
        {
            Epoch = m.Groups["epoch"].Success ? m.Groups["epoch"].Value : "0",
            Release = m.Groups["release"].Value.Split('.'),
            PreKind = -1,
        };
        if (m.Groups["pre"].Success)
        {
            p.PreKind = m.Groups["pre_l"].Value.ToLowerInvariant() switch
            {
                "a" or "alpha" => 0,
                "b" or "beta" => 1,
                _ => 2, // c, rc, pre, preview
            };
            p.PreNumber = m.Groups["pre_n"].Success ? m.Groups["pre_n"].Value : "0";
        }
        if (m.Groups["post"].Success)
            p.Post = m.Groups["post_n1"].Success ? m.Groups["post_n1"].Value : m.Groups["post_n2"].Success ? m.Groups["post_n2"].Value : "0";
        if (m.Groups["dev"].Success) p.Dev = m.Groups["dev_n"].Success ? m.Groups["dev_n"].Value : "0";
        if (m.Groups["local"].Success)
            p.Local = m.Groups["local"].Value.ToLowerInvariant().Split(['-', '_', '.']);
        return p;
    }

    /// <summary>packaging &lt; 22 <c>_legacy_cmpkey</c>: components padded for text order, "*final" markers, trailing zeros dropped.</summary>
    private static string[] LegacyKey(string version)
    {
        var parts = new List<string>();
        foreach (string raw in LegacyParts(version.ToLowerInvariant()))
        {
            string part = raw;
            if (part.StartsWith('*'))
            {
                if (string.CompareOrdinal(part, "*final") < 0)
                {
                    while (parts.Count > 0 && parts[^1] == "*final-") parts.RemoveAt(parts.Count - 1);
                }
                while (parts.Count > 0 && parts[^1] == "00000000") parts.RemoveAt(parts.Count - 1);
            }
            parts.Add(part);
        }
        return [.. parts];
    }

    private static IEnumerable<string> LegacyParts(string s)
    {
        // re.split with a capturing group: the text between matches and the matches themselves, in order.
        var pieces = new List<string>();
        int last = 0;
        foreach (Match m in LegacyComponent().Matches(s))
        {
            pieces.Add(s[last..m.Index]);
            pieces.Add(m.Value);
            last = m.Index + m.Length;
        }
        pieces.Add(s[last..]);
        foreach (string piece in pieces)
        {
            string part = piece switch { "pre" or "preview" or "rc" => "c", "-" => "final-", "dev" => "@", _ => piece };
            if (part.Length == 0 || part == ".") continue;
            yield return VersionText.IsDigit(part[0]) ? part.PadLeft(8, '0') : "*" + part;
        }
        yield return "*final";
    }
}
