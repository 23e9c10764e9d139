using Bollard.Core.Auth;

namespace Bollard.Server.Trust;

/// <summary>Whether two namespace patterns can match the same repository name.</summary>
public static class NamespacePatterns
{
    /// <summary>
    /// True when some repository name may match both. Conservative: two wildcard components are taken to meet unless their
    /// literal prefixes or suffixes differ, so the answer is never "no" for patterns that do meet. Bounded by
    /// components × components (memoized).
    /// </summary>
    public static bool Intersect(NamespacePattern a, NamespacePattern b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return Meet(a.Value.Split('/'), 0, b.Value.Split('/'), 0, []);
    }

    private static bool Meet(string[] a, int i, string[] b, int j, HashSet<(int, int)> failed)
    {
        if (failed.Contains((i, j))) return false;
        bool result;
        if (i == a.Length && j == b.Length) result = true;
        else if (i < a.Length && a[i] == "**") result = Meet(a, i + 1, b, j, failed) || (j < b.Length && Meet(a, i, b, j + 1, failed));
        else if (j < b.Length && b[j] == "**") result = Meet(a, i, b, j + 1, failed) || (i < a.Length && Meet(a, i + 1, b, j, failed));
        else if (i == a.Length || j == b.Length) result = false;
        else result = ComponentsMeet(a[i], b[j]) && Meet(a, i + 1, b, j + 1, failed);
        if (!result) failed.Add((i, j));
        return result;
    }

    private static bool ComponentsMeet(string x, string y)
    {
        bool xs = x.Contains('*', StringComparison.Ordinal), ys = y.Contains('*', StringComparison.Ordinal);
        if (!xs && !ys) return x == y;
        if (!xs) return Glob(y, x);
        if (!ys) return Glob(x, y);
        string px = x[..x.IndexOf('*', StringComparison.Ordinal)], py = y[..y.IndexOf('*', StringComparison.Ordinal)];
        string sx = x[(x.LastIndexOf('*') + 1)..], sy = y[(y.LastIndexOf('*') + 1)..];
        return (px.StartsWith(py, StringComparison.Ordinal) || py.StartsWith(px, StringComparison.Ordinal))
            && (sx.EndsWith(sy, StringComparison.Ordinal) || sy.EndsWith(sx, StringComparison.Ordinal));
    }

    /// <summary>Does the one-component glob <paramref name="pattern"/> match <paramref name="text"/>?</summary>
    private static bool Glob(string pattern, string text) => NamespacePattern.Parse(pattern).Matches(text);
}
