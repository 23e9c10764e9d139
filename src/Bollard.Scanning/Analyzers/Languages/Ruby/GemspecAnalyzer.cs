using System.Text.RegularExpressions;
using Bollard.Core.Scanning;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Analyzers.Languages.Ruby;

/// <summary>
/// An installed gem's specification, <c>.../specifications/NAME-VERSION.gemspec</c> (RubyGems writes it as Ruby code:
/// <c>s.name = "rack".freeze</c>, <c>s.version = "2.2.22"</c> or <c>Gem::Version.new("2.2.22")</c>,
/// <c>s.licenses = ["MIT".freeze]</c>, strings also as <c>%q{...}</c>). The code is never run: the assignments are
/// read with patterns, the first of each wins.
/// </summary>
public sealed partial class GemspecAnalyzer : IFileAnalyzer
{
    public string Name => "gemspec";

    public bool Wants(string path, long size, int mode) =>
        PathMatch.EndsWith(path, ".gemspec") && PathMatch.Contains(path, "/specifications/");

    public async ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct)
    {
        var collector = new PackageCollector(Name, file);
        (string text, _) = await BoundedText.ReadAsync(file, ct).ConfigureAwait(false);
        string? name = null, version = null;
        var licenses = new List<string>();
        foreach (string raw in text.Split('\n'))
        {
            Match m = Assignment().Match(raw);
            if (!m.Success)
            {
                continue;
            }

            string value = m.Groups["value"].Value;
            switch (m.Groups["field"].Value)
            {
                case "name":
                    name ??= Strings(value).FirstOrDefault();
                    break;
                case "version":
                    version ??= Strings(value).FirstOrDefault();
                    break;
                case "license" or "licenses" when licenses.Count == 0:
                    licenses.AddRange(Strings(value));
                    break;
            }
        }

        if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(version))
        {
            collector.Warn("no name or version assignment in the gem specification");
            return collector.ToAnalysis();
        }

        collector.Add(PackageTypes.Gem, name, version, PackageUrls.Gem(name, version), licenses);
        return collector.ToAnalysis();
    }

    /// <summary>The string literals of a value: <c>"x"</c>, <c>'x'</c>, <c>%q{x}</c>, <c>%q&lt;x&gt;</c>.</summary>
    private static IEnumerable<string> Strings(string value) =>
        StringLiteral().Matches(value).Select(m => m.Groups["dq"].Success ? m.Groups["dq"].Value : m.Groups["sq"].Success ? m.Groups["sq"].Value : m.Groups["q"].Value)
            .Where(s => s.Length > 0);

    [GeneratedRegex(@"^\s*\w+\.(?<field>name|version|licenses?)\s*=\s*(?<value>.+)$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Assignment();

    [GeneratedRegex("\"(?<dq>[^\"]*)\"|'(?<sq>[^']*)'|%q[{<(\\[](?<q>[^}>)\\]]*)[}>)\\]]", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex StringLiteral();
}
