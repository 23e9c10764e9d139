using Bollard.Scanning.Versions;

namespace Bollard.Scanning.Tests.Versions;

/// <summary>
/// Reads the comparison vectors of <c>vulndata/versions/</c> (one <c>a &lt;op&gt; b</c> per line, op <c>&lt;</c>,
/// <c>=</c> or <c>&gt;</c>; blank lines and <c>#</c> or <c>//</c> comments skipped) and checks every line, both ways
/// round (<c>a &lt; b</c> also means <c>b &gt; a</c>). Failures are collected, never stopped at the first.
/// </summary>
internal static class VersionVectors
{
    public sealed record Vector(int Line, string Left, char Op, string Right)
    {
        public override string ToString() => $"line {Line}: {Left} {Op} {Right}";
    }

    public static IReadOnlyList<Vector> Read(params string[] pathUnderVersions)
    {
        string path = SharedData.VulnData(["versions", .. pathUnderVersions]);
        var vectors = new List<Vector>();
        int n = 0;
        foreach (string raw in File.ReadLines(path))
        {
            n++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith("//", StringComparison.Ordinal)) continue;
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3 || parts[1] is not ("<" or "=" or ">"))
                throw new InvalidDataException($"{path}:{n}: not 'a <op> b': {raw}");
            vectors.Add(new Vector(n, parts[0], parts[1][0], parts[2]));
        }
        Assert.NotEmpty(vectors);
        return vectors;
    }

    /// <summary>The vectors the scheme gets wrong (or cannot compare), each with what it answered.</summary>
    public static List<string> Failures(IVersionScheme scheme, IEnumerable<Vector> vectors)
    {
        var failures = new List<string>();
        foreach (Vector v in vectors)
        {
            try
            {
                char got = Op(scheme.Compare(v.Left, v.Right));
                char back = Op(scheme.Compare(v.Right, v.Left));
                char expectedBack = v.Op switch { '<' => '>', '>' => '<', _ => '=' };
                if (got != v.Op || back != expectedBack)
                    failures.Add($"{v}: got {v.Left} {got} {v.Right} and {v.Right} {back} {v.Left}");
            }
            catch (FormatException e)
            {
                failures.Add($"{v}: {e.Message}");
            }
        }
        return failures;
    }

    /// <summary>
    /// Asserts that every vector agrees, listing all the ones that do not; then that the order is a consistent total
    /// order over all the file's versions: sorted once, every vector still holds between the sorted positions
    /// (an intransitive comparer breaks that, or makes the sort throw).
    /// </summary>
    public static void AssertAll(IVersionScheme scheme, IReadOnlyList<Vector> vectors, bool totalOrder = true)
    {
        List<string> failures = Failures(scheme, vectors);
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {vectors.Count} vectors disagree with {scheme.PackageType}:\n" + string.Join('\n', failures));
        if (!totalOrder) return;

        var sorted = vectors.SelectMany(v => new[] { v.Left, v.Right }).Distinct(StringComparer.Ordinal).ToList();
        sorted.Sort(scheme.Compare);
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < sorted.Count; i++)
            rank[sorted[i]] = i > 0 && scheme.Compare(sorted[i - 1], sorted[i]) == 0 ? rank[sorted[i - 1]] : i;
        var inconsistent = vectors
            .Where(v => Op(rank[v.Left].CompareTo(rank[v.Right])) != v.Op)
            .Select(v => $"{v}: sorted positions {rank[v.Left]} and {rank[v.Right]}")
            .ToList();
        Assert.True(inconsistent.Count == 0,
            $"{inconsistent.Count} vectors do not hold in the sorted order of {sorted.Count} versions ({scheme.PackageType}):\n" + string.Join('\n', inconsistent));
    }

    private static char Op(int c) => c < 0 ? '<' : c > 0 ? '>' : '=';
}
