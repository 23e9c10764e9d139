using Bollard.Core.Scanning;

namespace Bollard.Scanning.Reports;

/// <summary>
/// The CLI's finding filters (like <c>trivy image</c>): <see cref="Severities"/> to keep (empty: all),
/// <see cref="IgnoreUnfixed"/> to drop findings without a fixed version. Findings hidden by an exception or by
/// OpenVEX (not affected, fixed) never count.
/// </summary>
public sealed record ReportFilter(IReadOnlyList<string> Severities, bool IgnoreUnfixed)
{
    public static ReportFilter All { get; } = new([], false);

    /// <summary>Parses <c>--severity</c> (<c>critical,HIGH</c>: comma-separated severity words, any case).</summary>
    /// <exception cref="FormatException">A word that is not a severity (the message names it and the valid ones).</exception>
    public static IReadOnlyList<string> ParseSeverities(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var result = new List<string>();
        foreach (string word in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string? severity = Core.Scanning.Severities.All.FirstOrDefault(s => s.Equals(word, StringComparison.OrdinalIgnoreCase));
            if (severity is null)
                throw new FormatException($"--severity '{word}' is not one of {string.Join(", ", Core.Scanning.Severities.All)}");
            if (!result.Contains(severity)) result.Add(severity);
        }
        return result;
    }

    public bool Matches(Finding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        if (finding.Status is FindingStatus.Excepted or FindingStatus.NotAffected or FindingStatus.Fixed) return false;
        if (IgnoreUnfixed && finding.FixedVersion is null) return false;
        return Severities.Count == 0 || Severities.Contains(finding.Severity, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<Finding> Apply(IEnumerable<Finding> findings) => [.. findings.Where(Matches)];
}
