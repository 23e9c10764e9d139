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

    /// <summary>Asserts that every vector agrees, listing all the ones that do not.</summary>
    public static void AssertAll(IVersionScheme scheme, IReadOnlyList<Vector> vectors)
    {
        List<string> failures = Failures(scheme, vectors);
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {vectors.Count} vectors disagree with {scheme.PackageType}:\n" + string.Join('\n', failures));
    }

    private static char Op(int c) => c < 0 ? '<' : c > 0 ? '>' : '=';
}
