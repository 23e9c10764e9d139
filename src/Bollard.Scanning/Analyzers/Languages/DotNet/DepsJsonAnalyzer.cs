using System.Text.Json;
using Bollard.Core.Scanning;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Analyzers.Languages.DotNet;

/// <summary>
/// A published .NET application's <c>*.deps.json</c>: every <c>libraries</c> entry of <c>"type": "package"</c> is a NuGet
/// package, keyed <c>Name/Version</c>. Projects (<c>"type": "project"</c>) and framework references are the app itself
/// or the runtime, not packages, and are skipped.
/// </summary>
public sealed class DepsJsonAnalyzer : IFileAnalyzer
{
    public string Name => "dotnet-deps";

    public bool Wants(string path, long size, int mode) => PathMatch.EndsWith(path, ".deps.json");

    public async ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct)
    {
        var collector = new PackageCollector(Name, file);
        using JsonDocument? doc = await JsonFiles.ParseObjectAsync(file, collector, ct).ConfigureAwait(false);
        if (doc is null)
        {
            return collector.ToAnalysis();
        }

        if (doc.RootElement.GetObject("libraries") is not { } libraries)
        {
            collector.Warn("no libraries object: not a deps.json");
            return collector.ToAnalysis();
        }

        foreach (JsonProperty library in libraries.EnumerateObject())
        {
            if (library.Value.GetString("type") != "package")
            {
                continue;
            }

            int slash = library.Name.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || slash == library.Name.Length - 1)
            {
                collector.Warn($"library key '{library.Name}' is not Name/Version");
                continue;
            }

            string name = library.Name[..slash];
            string version = library.Name[(slash + 1)..];
            if (!collector.Add(PackageTypes.NuGet, name, version, PackageUrls.NuGet(name, version)))
            {
                break;
            }
        }

        return collector.ToAnalysis();
    }
}
