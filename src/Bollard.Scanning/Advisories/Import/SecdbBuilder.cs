using System.Text;
using System.Text.Json;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Advisories;
using YamlDotNet.RepresentationModel;

namespace Bollard.Scanning.Advisories.Import;

/// <summary>
/// Alpine and Wolfi secdb (<c>{distroversion, reponame, packages: [{pkg: {name, secfixes: {version: [ids]}}}]}</c>, as
/// YAML, JSON, or one package per file as aquasecurity/vuln-list stores it) to one advisory per id. A secfix
/// <c>V: [ids]</c> of origin package P in branch B means "P in B is fixed from V on" (<c>introduced 0, fixed V</c>);
/// the key <c>0</c> means P in B was never affected. A document with a <c>distroversion</c> is Alpine (branch
/// <c>v3.18</c> → <c>3.18</c>); one without is Wolfi (rolling: no release). An id string holding several ids
/// (<c>CVE-2017-2887 TALOS-2017-0394</c>) is the first, the rest its aliases.
/// </summary>
internal sealed class SecdbBuilder(AdvisoryImportContext context)
{
    private readonly Dictionary<(string Source, string Id), Entry> _entries = [];

    public void AddJson(string file, JsonElement root)
    {
        string? distro = root.Str("distroversion");
        if (root.TryGetProperty("secfixes", out var secfixes))
        {
            Add(file, distro, root.Str("name"), Fixes(secfixes));
            return;
        }
        foreach (var p in root.Array("packages"))
        {
            var pkg = p.Prop("pkg") ?? p;
            Add(file, distro, pkg.Str("name"), pkg.Prop("secfixes") is { } s ? Fixes(s) : []);
        }
    }

    public void AddYaml(string file, byte[] bytes)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StringReader(Encoding.UTF8.GetString(bytes));
            stream.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            context.Warn($"{file}: not valid YAML ({e.Message})");
            return;
        }
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is not YamlMappingNode root) continue;
            string? distro = Scalar(root, "distroversion");
            if (!root.Children.TryGetValue(new YamlScalarNode("packages"), out var packages) || packages is not YamlSequenceNode list)
            {
                if (distro is null) context.Warn($"{file}: YAML without secdb packages, ignored");
                continue;
            }
            foreach (var item in list.OfType<YamlMappingNode>())
            {
                var pkg = item.Children.TryGetValue(new YamlScalarNode("pkg"), out var p) && p is YamlMappingNode m ? m : item;
                var fixes = new List<(string, List<string>)>();
                if (pkg.Children.TryGetValue(new YamlScalarNode("secfixes"), out var s) && s is YamlMappingNode map)
                {
                    foreach (var (k, v) in map.Children)
                    {
                        if (k is not YamlScalarNode { Value: { } version }) continue;
                        var ids = v is YamlSequenceNode seq ? seq.OfType<YamlScalarNode>().Select(x => x.Value ?? "").ToList() : [];
                        fixes.Add((version, ids));
                    }
                }
                Add(file, distro, Scalar(pkg, "name"), fixes);
            }
        }
    }

    public IEnumerable<Advisory> Build() =>
        _entries.OrderBy(e => e.Key.Source, StringComparer.Ordinal).ThenBy(e => e.Key.Id, StringComparer.Ordinal).Select(e => new Advisory
        {
            Source = e.Key.Source,
            Id = e.Key.Id,
            Aliases = e.Value.Aliases.Order(StringComparer.Ordinal).ToList(),
            Affected = e.Value.Packages.OrderBy(p => p.Key.Release ?? "", StringComparer.Ordinal).ThenBy(p => p.Key.Name, StringComparer.Ordinal).Select(p => p.Value).ToList(),
        });

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode { Value: { Length: > 0 } s } ? s : null;

    private static List<(string Version, List<string> Ids)> Fixes(JsonElement secfixes) =>
        secfixes.ValueKind != JsonValueKind.Object ? [] : secfixes.EnumerateObject()
            .Select(p => (p.Name, p.Value.ValueKind == JsonValueKind.Array
                ? p.Value.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
                : new List<string>()))
            .ToList();

    private void Add(string file, string? distroversion, string? name, List<(string Version, List<string> Ids)> fixes)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            context.Warn($"{file}: secdb package without a name, skipped");
            return;
        }
        string source = distroversion is null ? AdvisorySources.Wolfi : AdvisorySources.Alpine;
        string? release = null;
        if (distroversion is not null)
        {
            release = OsvEcosystems.AlpineBranch(distroversion);
            if (release is null)
            {
                context.Warn($"{file}: unknown Alpine distroversion '{distroversion}', skipped");
                return;
            }
        }
        foreach (var (version, ids) in fixes)
        {
            string fixedVersion = version.Trim();
            if (fixedVersion.Length == 0) continue;
            foreach (string raw in ids)
            {
                var tokens = raw.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (tokens.Length == 0) continue;
                string id = tokens[0];
                if (!_entries.TryGetValue((source, id), out var entry)) _entries[(source, id)] = entry = new Entry();
                foreach (string alias in tokens.Skip(1)) entry.Aliases.Add(alias);
                var key = AdvisoryKey.Create(PackageTypes.Apk, release, name);
                // The first secfix naming the id for this package wins (a later, higher one would only widen the range).
                entry.Packages.TryAdd(key, fixedVersion == "0"
                    ? new AffectedPackage { Type = PackageTypes.Apk, Release = release, Name = name.Trim(), Status = AffectedStatus.NotAffected }
                    : new AffectedPackage
                    {
                        Type = PackageTypes.Apk, Release = release, Name = name.Trim(),
                        Ranges = [[new RangeEvent(RangeEventKind.Introduced, "0"), new RangeEvent(RangeEventKind.Fixed, fixedVersion)]],
                    });
            }
        }
    }

    private sealed class Entry
    {
        public HashSet<string> Aliases { get; } = new(StringComparer.Ordinal);

        public Dictionary<AdvisoryKey, AffectedPackage> Packages { get; } = [];
    }
}
