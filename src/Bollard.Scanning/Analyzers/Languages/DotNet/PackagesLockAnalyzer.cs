using System.Text.Json;
using Bollard.Core.Scanning;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Analyzers.Languages.DotNet;

/// <summary>
/// NuGet's <c>packages.lock.json</c>: <c>dependencies</c> per target framework, each package with its <c>resolved</c>
/// version (<c>Direct</c>, <c>Transitive</c> and <c>CentralTransitive</c> entries; <c>Project</c> references are the
/// solution's own projects and are skipped). A package locked for several frameworks is reported once per version.
/// </summary>
public sealed class PackagesLockAnalyzer : IFileAnalyzer
{
    public string Name => "nuget-lock";

    public bool Wants(string path, long size, int mode) => PathMatch.EndsWith(path, "/packages.lock.json");

    public async ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct)
    {
        var collector = new PackageCollector(Name, file);
        using JsonDocument? doc = await JsonFiles.ParseObjectAsync(file, collector, ct).ConfigureAwait(false);
        if (doc is null)
        {
            return collector.ToAnalysis();
        }

        if (doc.RootElement.GetObject("dependencies") is not { } frameworks)
        {
            collector.Warn("no dependencies object: not a packages.lock.json");
            return collector.ToAnalysis();
        }

        foreach (JsonProperty framework in frameworks.EnumerateObject())
        {
            if (framework.Value.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            foreach (JsonProperty package in framework.Value.EnumerateObject())
            {
                string? type = package.Value.GetString("type");
                string? version = package.Value.GetString("resolved");
                if (string.Equals(type, "Project", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(version))
                {
                    continue;
                }

                if (!collector.Add(PackageTypes.NuGet, package.Name, version, PackageUrls.NuGet(package.Name, version)))
                {
                    return collector.ToAnalysis();
                }
            }
        }

        return collector.ToAnalysis();
    }
}
