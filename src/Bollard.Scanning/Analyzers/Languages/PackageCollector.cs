using Bollard.Core.Scanning;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Analyzers.Languages;

/// <summary>
/// Gathers the packages one file declares: drops repeats of the same (name, version), stops at
/// <see cref="ScanLimits.MaxPackagesPerFile"/> with a warning, and collects warnings prefixed with the analyzer and path.
/// </summary>
internal sealed class PackageCollector(string analyzer, AnalyzedFile file)
{
    private readonly List<ScanPackage> packages = [];
    private readonly HashSet<(string, string)> seen = [];
    private readonly List<string> warnings = [];

    public string Path => file.Path;

    /// <summary>True once the package limit was hit: callers stop reading.</summary>
    public bool Full { get; private set; }

    public int Count => packages.Count;

    /// <returns>false when the file's package limit is reached (the package is not added).</returns>
    public bool Add(string type, string name, string version, string purl, IReadOnlyList<string>? licenses = null, string? path = null)
    {
        if (Full)
        {
            return false;
        }

        if (!seen.Add((name, version)))
        {
            return true;
        }

        if (packages.Count >= file.Limits.MaxPackagesPerFile)
        {
            Full = true;
            Warn($"more than {file.Limits.MaxPackagesPerFile} packages; the rest are not reported");
            return false;
        }

        packages.Add(new ScanPackage
        {
            Type = type,
            Name = name,
            Version = version,
            Purl = purl,
            Licenses = licenses ?? [],
            Path = path ?? file.Path,
        });
        return true;
    }

    public void Warn(string message) => warnings.Add($"{analyzer}: {file.Path}: {message}");

    public FileAnalysis ToAnalysis() =>
        packages.Count == 0 && warnings.Count == 0 ? FileAnalysis.Empty : new FileAnalysis { Packages = packages, Warnings = warnings };
}
