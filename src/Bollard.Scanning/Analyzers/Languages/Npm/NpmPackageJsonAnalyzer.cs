using System.Text.Json;
using Bollard.Core.Scanning;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Analyzers.Languages.Npm;

/// <summary>
/// An installed npm package: <c>node_modules/NAME/package.json</c> or <c>node_modules/@SCOPE/NAME/package.json</c>
/// (name, version, licence). Other package.json files inside a package (<c>lodash/fp/package.json</c>) and a
/// project's own package.json are not installed packages and are not wanted.
/// </summary>
public sealed class NpmPackageJsonAnalyzer : IFileAnalyzer
{
    private const string NodeModules = "/node_modules/";

    public string Name => "npm-package";

    public bool Wants(string path, long size, int mode)
    {
        if (!PathMatch.EndsWith(path, "/package.json"))
        {
            return false;
        }

        int at = path.LastIndexOf(NodeModules, StringComparison.Ordinal);
        if (at < 0 || at + NodeModules.Length > path.Length - "/package.json".Length)
        {
            return false;
        }

        // what follows the last node_modules/: "name/package.json" or "@scope/name/package.json"
        ReadOnlySpan<char> rest = path.AsSpan(at + NodeModules.Length, path.Length - at - NodeModules.Length - "/package.json".Length);
        int slash = rest.IndexOf('/');
        return rest.Length > 0 && (rest[0] == '@' ? slash > 1 && rest[(slash + 1)..].IndexOf('/') < 0 && slash < rest.Length - 1 : slash < 0);
    }

    public async ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct)
    {
        var collector = new PackageCollector(Name, file);
        using JsonDocument? doc = await JsonFiles.ParseObjectAsync(file, collector, ct).ConfigureAwait(false);
        if (doc is null)
        {
            return collector.ToAnalysis();
        }

        JsonElement root = doc.RootElement;
        string? name = root.GetString("name");
        string? version = root.GetString("version");
        if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(version))
        {
            return collector.ToAnalysis(); // a package.json without both is not an installed registry package
        }

        collector.Add(PackageTypes.Npm, name, version, PackageUrls.Npm(name, version), NpmLicenses.Read(root));
        return collector.ToAnalysis();
    }
}
