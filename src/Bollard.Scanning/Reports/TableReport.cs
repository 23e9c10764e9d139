using System.Text;
using Bollard.Core.Scanning;

namespace Bollard.Scanning.Reports;

/// <summary>
/// The terminal report, like <c>trivy image</c>: per image a title (image, distribution, platform), the totals per
/// severity, and one row per finding, most severe first (package, advisory, severity, status, installed, fixed,
/// title). Control characters from advisory text never reach the terminal.
/// </summary>
public static class TableReport
{
    private static readonly string[] Headers = ["PACKAGE", "TYPE", "ADVISORY", "SEVERITY", "STATUS", "INSTALLED", "FIXED", "TITLE"];
    private const int MaxTitle = 60;

    public static void Write(TextWriter output, IReadOnlyList<ScanReport> reports)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(reports);
        var text = new StringBuilder();
        foreach (var report in reports)
        {
            if (text.Length > 0) text.Append('\n');
            var inventory = report.Inventory;
            string title = report.Subject.DisplayName;
            var details = new List<string>();
            if (inventory.Os is { } os) details.Add(string.Join(' ', new[] { os.Id, os.VersionId }.Where(s => !string.IsNullOrEmpty(s))));
            if (!string.IsNullOrEmpty(inventory.Platform)) details.Add(inventory.Platform);
            if (details.Count > 0) title += $" ({string.Join(", ", details)})";
            text.Append(Clean(title)).Append('\n').Append(new string('=', Math.Min(title.Length, 100))).Append('\n');
            var counts = report.CountBySeverity();
            text.Append($"Packages: {inventory.Packages.Count}  Findings: {report.Findings.Count} (")
                .Append(string.Join(", ", Severities.All.Select(s => $"{s.ToUpperInvariant()}: {counts[s]}")))
                .Append(")\n");
            foreach (string warning in inventory.Warnings) text.Append("warning: ").Append(Clean(warning)).Append('\n');
            if (report.Findings.Count == 0) continue;
            text.Append('\n');
            var rows = report.Sorted.Select(f => new[]
            {
                f.PackageName, f.PackageType, f.AdvisoryId, f.Severity.ToUpperInvariant(), Status(f), f.InstalledVersion, f.FixedVersion ?? "-",
                Shorten(f.Summary ?? (f.Aliases.Count > 0 ? f.Aliases[0] : "-")),
            }.Select(Clean).ToArray()).ToList();
            var widths = Headers.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
            AppendRow(text, Headers, widths);
            foreach (var row in rows) AppendRow(text, row, widths);
        }
        output.Write(text.ToString());
    }

    private static string Status(Finding f) => f.Status switch
    {
        FindingStatus.Affected => "fixed-available",
        FindingStatus.Unfixed => "unfixed",
        FindingStatus.NotAffected => "not-affected",
        FindingStatus.Fixed => "fixed",
        FindingStatus.Excepted => "excepted",
        _ => f.Status.ToString().ToLowerInvariant(),
    };

    private static void AppendRow(StringBuilder text, IReadOnlyList<string> values, int[] widths)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (i == values.Count - 1) text.Append(values[i]);
            else text.Append(values[i].PadRight(widths[i] + 2));
        }
        text.Append('\n');
    }

    private static string Shorten(string text)
    {
        string line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= MaxTitle ? line : line[..(MaxTitle - 3)] + "...";
    }

    private static string Clean(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "-";
        return value.Any(char.IsControl) ? new string([.. value.Select(c => char.IsControl(c) ? '?' : c)]) : value;
    }
}
