using System.Text.RegularExpressions;

namespace Bollard.Scanning.Analyzers.Languages.Java;

/// <summary>The last resort: <c>ARTIFACT-VERSION.jar</c>, the version starting with a digit (<c>log4j-core-2.14.1.jar</c>).</summary>
internal static partial class FileNames
{
    public static PomProperties? Parse(string path)
    {
        string name = path[(path.LastIndexOf('/') + 1)..];
        Match m = NameVersion().Match(name);
        return m.Success ? new PomProperties("", m.Groups[1].Value, m.Groups[2].Value) : null;
    }

    [GeneratedRegex(@"^(.+?)-(\d[\w.+-]*)\.(?:jar|war|ear)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex NameVersion();
}
