using System.Text.Json;

namespace Bollard.Scanning.Tests.Analyzers.Languages;

/// <summary>The Trivy fixtures (inputs and golden outputs) in the shared vulndata folder.</summary>
internal static class Fixtures
{
    public static string VulnData { get; } = FindVulnData();

    public static string Trivy => Path.Combine(VulnData, "trivy-fixtures", "integration", "testdata");

    /// <summary>(name, version) of every package of a Trivy golden file; <paramref name="skipRoot"/> leaves out the <c>"Relationship": "root"</c> entry (the scanned project itself).</summary>
    public static HashSet<(string, string)> GoldenPackages(string golden, bool skipRoot = false)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Trivy, golden)));
        var set = new HashSet<(string, string)>();
        foreach (JsonElement result in doc.RootElement.GetProperty("Results").EnumerateArray())
        {
            foreach (JsonElement p in result.GetProperty("Packages").EnumerateArray())
            {
                if (skipRoot && p.TryGetProperty("Relationship", out JsonElement r) && r.GetString() == "root")
                {
                    continue;
                }

                set.Add((p.GetProperty("Name").GetString()!, p.GetProperty("Version").GetString()!));
            }
        }

        return set;
    }

    private static string FindVulnData()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "vulndata");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return "/work/shared/vulndata";
    }
}
