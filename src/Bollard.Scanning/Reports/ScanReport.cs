using Bollard.Core.Scanning;
using Bollard.Scanning.Sbom;

namespace Bollard.Scanning.Reports;

/// <summary>The result of scanning one image (one platform): what it is, what is inside, and its findings (already filtered).</summary>
public sealed record ScanReport(SbomSubject Subject, ImageInventory Inventory, IReadOnlyList<Finding> Findings)
{
    /// <summary>Findings most severe first, then by package, installed version and advisory id: the order of every report.</summary>
    public IReadOnlyList<Finding> Sorted { get; } =
    [
        .. Findings
            .OrderByDescending(f => Severities.Rank(f.Severity))
            .ThenByDescending(f => f.CvssScore ?? -1)
            .ThenBy(f => f.PackageName, StringComparer.Ordinal)
            .ThenBy(f => f.InstalledVersion, StringComparer.Ordinal)
            .ThenBy(f => f.AdvisoryId, StringComparer.Ordinal)
            .ThenBy(f => f.Path, StringComparer.Ordinal),
    ];

    /// <summary>Count per severity word (every word of <see cref="Severities.All"/>, zero included).</summary>
    public IReadOnlyDictionary<string, int> CountBySeverity()
    {
        var counts = Severities.All.ToDictionary(s => s, _ => 0, StringComparer.Ordinal);
        foreach (var f in Findings)
        {
            string key = Severities.All.FirstOrDefault(s => s.Equals(f.Severity, StringComparison.OrdinalIgnoreCase)) ?? Severities.Unknown;
            counts[key]++;
        }
        return counts;
    }
}
