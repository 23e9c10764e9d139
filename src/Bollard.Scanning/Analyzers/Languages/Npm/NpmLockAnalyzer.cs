using System.Text.Json;
using Bollard.Core.Scanning;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Analyzers.Languages.Npm;

/// <summary>
/// npm's <c>package-lock.json</c>: lockfileVersion 2 and 3 list every installed package under <c>packages</c>, keyed by
/// its <c>node_modules/...</c> path (the root project <c>""</c>, workspace folders and <c>link: true</c> entries are
/// not packages and are skipped); version 1 nests <c>dependencies</c> (each with its own <c>dependencies</c>).
/// Development dependencies are reported too (they are in the image). Non-registry versions (<c>file:</c>,
/// <c>link:</c>, git URLs) are skipped; aliases (<c>npm:real-name@1.2.3</c>) are reported under the real name.
/// Lock files inside <c>node_modules</c> (npm's hidden <c>node_modules/.package-lock.json</c>, or a package's own)
/// are not read: the installed package.json files there are (see docs/scanning.md on double counting).
/// </summary>
public sealed class NpmLockAnalyzer : IFileAnalyzer
{
    public string Name => "npm-lock";

    public bool Wants(string path, long size, int mode) =>
        PathMatch.EndsWith(path, "/package-lock.json") && !PathMatch.Contains(path, "/node_modules/");

    public async ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct)
    {
        var collector = new PackageCollector(Name, file);
        using JsonDocument? doc = await JsonFiles.ParseObjectAsync(file, collector, ct).ConfigureAwait(false);
        if (doc is null)
        {
            return collector.ToAnalysis();
        }

        JsonElement root = doc.RootElement;
        if (root.GetObject("packages") is { } packages)
        {
            ReadPackages(packages, collector);
        }
        else if (root.GetObject("dependencies") is { } dependencies)
        {
            ReadDependencies(dependencies, collector);
        }
        else if (!root.TryGetProperty("lockfileVersion", out _))
        {
            collector.Warn("no lockfileVersion, packages or dependencies: not an npm lock file");
        }

        return collector.ToAnalysis();
    }

    private static void ReadPackages(JsonElement packages, PackageCollector collector)
    {
        foreach (JsonProperty p in packages.EnumerateObject())
        {
            int at = p.Name.LastIndexOf("node_modules/", StringComparison.Ordinal);
            if (at < 0 || p.Value.ValueKind != JsonValueKind.Object || p.Value.GetBool("link"))
            {
                continue; // the root project (""), a workspace folder, a symlink to one
            }

            string name = p.Value.GetString("name") ?? p.Name[(at + "node_modules/".Length)..];
            string? version = p.Value.GetString("version");
            if (!Add(collector, name, version, NpmLicenses.Read(p.Value)))
            {
                return;
            }
        }
    }

    private static void ReadDependencies(JsonElement dependencies, PackageCollector collector)
    {
        foreach (JsonProperty p in dependencies.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            if (!Add(collector, p.Name, p.Value.GetString("version"), []))
            {
                return;
            }

            if (p.Value.GetObject("dependencies") is { } nested)
            {
                ReadDependencies(nested, collector);
            }
        }
    }

    /// <returns>false when the file's package limit is reached.</returns>
    internal static bool Add(PackageCollector collector, string name, string? version, IReadOnlyList<string> licenses)
    {
        if (string.IsNullOrEmpty(version) || name.Length == 0)
        {
            return true;
        }

        if (version.StartsWith("npm:", StringComparison.Ordinal))
        {
            // an alias: "npm:lodash@4.17.15"
            string aliased = version[4..];
            int at = aliased.LastIndexOf('@');
            if (at <= 0)
            {
                return true;
            }

            name = aliased[..at];
            version = aliased[(at + 1)..];
        }

        if (version.Contains(':', StringComparison.Ordinal) || version.Contains('/', StringComparison.Ordinal))
        {
            return true; // file:, link:, git+https://..., github:user/repo: not a registry version
        }

        return collector.Add(PackageTypes.Npm, name, version, PackageUrls.Npm(name, version), licenses);
    }
}
