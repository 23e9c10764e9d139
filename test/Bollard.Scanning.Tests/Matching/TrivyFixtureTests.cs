using System.Text.Json;
using System.Text.Json.Nodes;
using Bollard.Core.Scanning;
using Bollard.Scanning.Advisories.Import;
using Bollard.Scanning.Matching;
using Bollard.Scanning.Tests.Advisories;
using YamlDotNet.RepresentationModel;

namespace Bollard.Scanning.Tests.Matching;

/// <summary>
/// Trivy's integration fixtures: its DB fixtures (the GitHub-advisory buckets of <c>nodejs.yaml</c> and
/// <c>nuget.yaml</c>, converted here to OSV files and imported like any OSV data), the package lists of its golden
/// outputs (the inventories: same packages and versions Trivy read from the inputs), and the golden findings: Bollard
/// reports exactly the same (package, advisory) pairs, with the same fixed versions.
/// </summary>
public sealed class TrivyFixtureTests : IDisposable
{
    private static string Testdata => AdvisoryTestDatabase.Data("trivy-fixtures/integration/testdata");

    private readonly AdvisoryTestDatabase _t = new();

    public void Dispose() => _t.Dispose();

    [Theory]
    [InlineData("npm.json.golden", PackageTypes.Npm)]
    [InlineData("npm-with-dev.json.golden", PackageTypes.Npm)]
    [InlineData("nuget.json.golden", PackageTypes.NuGet)]
    [InlineData("dotnet.json.golden", PackageTypes.NuGet)]
    [InlineData("packagesprops.json.golden", PackageTypes.NuGet)]
    public async Task Golden_SamePackageAdvisoryPairs(string golden, string type)
    {
        string osv = Directory.CreateDirectory(Path.Combine(_t.Dir, "trivy-osv")).FullName;
        int written = WriteOsv(Path.Combine(Testdata, "fixtures/db/nodejs.yaml"), "npm", osv) + WriteOsv(Path.Combine(Testdata, "fixtures/db/nuget.yaml"), "NuGet", osv);
        var result = await _t.Database.ImportAsync(osv, null, default);
        Assert.Equal(written, result.Record.Added);
        Assert.Equal(0, result.Record.Warnings);
        var index = await _t.Database.GetIndexAsync(default);

        var doc = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Testdata, golden)))!;
        var packages = new List<ScanPackage>();
        var expected = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var r in doc["Results"]!.AsArray())
        {
            foreach (var p in r!["Packages"]?.AsArray() ?? [])
                packages.Add(TestInventories.Package(type, (string)p!["Name"]!, (string)p["Version"]!));
            foreach (var v in r["Vulnerabilities"]?.AsArray() ?? [])
                expected.Add($"{v!["PkgName"]}@{v["InstalledVersion"]} {v["VulnerabilityID"]} fixed {v["FixedVersion"]}");
        }
        Assert.NotEmpty(packages);
        Assert.NotEmpty(expected);
        var warnings = new List<string>();
        var findings = AdvisoryMatcher.Match(TestInventories.Inventory(packages, null), index, warnings);
        Assert.Empty(warnings);
        Assert.Equal(expected, new SortedSet<string>(findings.Select(f => $"{f.PackageName}@{f.InstalledVersion} {f.AdvisoryId} fixed {f.FixedVersion}"), StringComparer.Ordinal));
    }

    /// <summary>Trivy's <c>{ecosystem}::GitHub Security Advisory</c> buckets to OSV files; returns how many were written.</summary>
    private static int WriteOsv(string fixture, string ecosystem, string dir)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(fixture)) yaml.Load(reader);
        int count = 0;
        foreach (var top in ((YamlSequenceNode)yaml.Documents[0].RootNode).OfType<YamlMappingNode>())
        {
            foreach (var pkg in ((YamlSequenceNode)top[new YamlScalarNode("pairs")]).OfType<YamlMappingNode>())
            {
                string name = ((YamlScalarNode)pkg[new YamlScalarNode("bucket")]).Value!;
                foreach (var pair in ((YamlSequenceNode)pkg[new YamlScalarNode("pairs")]).OfType<YamlMappingNode>())
                {
                    string id = ((YamlScalarNode)pair[new YamlScalarNode("key")]).Value!;
                    var value = (YamlMappingNode)pair[new YamlScalarNode("value")];
                    var ranges = new List<IReadOnlyList<RangeEvent>>();
                    var versions = new List<string>();
                    foreach (var vulnerable in ((YamlSequenceNode)value[new YamlScalarNode("VulnerableVersions")]).OfType<YamlScalarNode>())
                        Assert.True(GhsaVulnListBuilder.ParseRange(vulnerable.Value!, ranges, versions), vulnerable.Value);
                    var record = new JsonObject
                    {
                        ["id"] = id,
                        ["modified"] = "2024-01-01T00:00:00Z",
                        ["affected"] = new JsonArray(new JsonObject
                        {
                            ["package"] = new JsonObject { ["ecosystem"] = ecosystem, ["name"] = name },
                            ["ranges"] = new JsonArray(ranges.Select(r => (JsonNode)new JsonObject
                            {
                                ["type"] = "ECOSYSTEM",
                                ["events"] = new JsonArray(r.Select(e => (JsonNode)new JsonObject { [Kind(e.Kind)] = e.Version }).ToArray()),
                            }).ToArray()),
                            ["versions"] = new JsonArray(versions.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray()),
                        }),
                    };
                    File.WriteAllText(Path.Combine(dir, $"{ecosystem}-{name}-{id}.json"), record.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                    count++;
                }
            }
        }
        return count;
    }

    private static string Kind(RangeEventKind kind) => kind switch
    {
        RangeEventKind.Introduced => "introduced",
        RangeEventKind.Fixed => "fixed",
        RangeEventKind.LastAffected => "last_affected",
        _ => "limit",
    };
}
