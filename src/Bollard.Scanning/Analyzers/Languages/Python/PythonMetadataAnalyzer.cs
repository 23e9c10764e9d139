using Bollard.Core.Scanning;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Analyzers.Languages.Python;

/// <summary>
/// An installed Python distribution: <c>NAME-VERSION.dist-info/METADATA</c> (wheels, pip), <c>*.egg-info/PKG-INFO</c>
/// and a <c>*.egg-info</c> file (setuptools, distutils; Debian's python3-* packages ship both kinds). The core metadata
/// header (an RFC 822 block up to the first empty line) gives <c>Name</c>, <c>Version</c> and the licence:
/// <c>License-Expression</c> (PEP 639), else a one-line <c>License</c>, else the <c>License ::</c> classifiers.
/// </summary>
public sealed class PythonMetadataAnalyzer : IFileAnalyzer
{
    public string Name => "python-metadata";

    public bool Wants(string path, long size, int mode) =>
        PathMatch.EndsWith(path, ".dist-info/METADATA") || PathMatch.EndsWith(path, ".egg-info/PKG-INFO") || PathMatch.EndsWith(path, ".egg-info");

    public async ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct)
    {
        var collector = new PackageCollector(Name, file);
        (string text, _) = await BoundedText.ReadAsync(file, ct).ConfigureAwait(false);
        string? name = null, version = null, expression = null, license = null;
        var classifiers = new List<string>();
        string? last = null;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                break; // the body (description) follows the header block
            }

            if (line[0] is ' ' or '\t')
            {
                if (last == "License")
                {
                    license = null; // a multi-line License field is the licence text, not an identifier
                }

                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                collector.Warn($"not a metadata header line: '{Cut(line)}'");
                return collector.ToAnalysis();
            }

            last = line[..colon];
            string value = line[(colon + 1)..].Trim();
            switch (last)
            {
                case "Name": name ??= value; break;
                case "Version": version ??= value; break;
                case "License-Expression": expression ??= value; break;
                case "License": license ??= value; break;
                case "Classifier" when value.StartsWith("License ::", StringComparison.Ordinal):
                    classifiers.Add(value[(value.LastIndexOf("::", StringComparison.Ordinal) + 2)..].Trim());
                    break;
            }
        }

        if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(version))
        {
            collector.Warn("no Name or Version in the metadata");
            return collector.ToAnalysis();
        }

        IReadOnlyList<string> licenses =
            !string.IsNullOrEmpty(expression) ? [expression]
            : !string.IsNullOrEmpty(license) && license != "UNKNOWN" && license.Length <= 200 ? [license]
            : classifiers;
        collector.Add(PackageTypes.PyPI, name, version, PackageUrls.PyPI(name, version), licenses);
        return collector.ToAnalysis();
    }

    private static string Cut(string s) => s.Length <= 80 ? s : s[..80] + "...";
}
