using System.Globalization;
using System.Text.Json;
using Bollard.Core.Scanning;
using Bollard.Scanning.Sbom;

namespace Bollard.Scanning.Reports;

/// <summary>
/// SARIF 2.1.0 (OASIS), as GitHub code scanning reads it: one run, the tool <c>bollard</c> with one rule per advisory
/// (its <c>security-severity</c> the CVSS score, or a score standing for the distribution's rating), one result per
/// finding located at the file the package was read from (<c>var/lib/dpkg/status</c>, relative: code scanning wants
/// relative URIs) with the image, package, versions and layer in the message and the properties.
/// </summary>
public static class SarifReport
{
    public const string SchemaUri = "https://json.schemastore.org/sarif-2.1.0.json";

    public static void Write(Stream output, IReadOnlyList<ScanReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var findings = reports.SelectMany(r => r.Sorted.Select(f => (Report: r, Finding: f))).ToList();
        var rules = findings.Select(x => x.Finding)
            .GroupBy(f => f.AdvisoryId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(f => Severities.Rank(f.Severity)).ThenByDescending(f => f.CvssScore ?? -1).First())
            .ToList();
        var ruleIndex = rules.Select((f, i) => (f.AdvisoryId, i)).ToDictionary(x => x.AdvisoryId, x => x.i, StringComparer.Ordinal);

        using var json = new Utf8JsonWriter(output, SbomDocument.WriterOptions);
        json.WriteStartObject();
        json.WriteString("$schema", SchemaUri);
        json.WriteString("version", "2.1.0");
        json.WriteStartArray("runs");
        json.WriteStartObject();

        json.WriteStartObject("tool");
        json.WriteStartObject("driver");
        json.WriteString("name", SbomDocument.ToolName);
        json.WriteString("fullName", "Bollard image scanner");
        json.WriteString("version", SbomDocument.ToolVersion);
        json.WriteString("informationUri", "https://osv.dev/");
        json.WriteStartArray("rules");
        foreach (var rule in rules) WriteRule(json, rule);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();

        json.WriteStartArray("results");
        foreach (var (report, f) in findings) WriteResult(json, report, f, ruleIndex[f.AdvisoryId]);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        output.WriteByte((byte)'\n');
    }

    private static void WriteRule(Utf8JsonWriter json, Finding f)
    {
        json.WriteStartObject();
        json.WriteString("id", f.AdvisoryId);
        json.WriteString("name", "Vulnerability");
        json.WriteStartObject("shortDescription");
        json.WriteString("text", f.Summary is { Length: > 0 } s ? FirstLine(s) : f.AdvisoryId);
        json.WriteEndObject();
        json.WriteStartObject("fullDescription");
        json.WriteString("text", f.Summary is { Length: > 0 } full ? full : $"{f.AdvisoryId} ({string.Join(", ", f.Aliases)})");
        json.WriteEndObject();
        json.WriteString("helpUri", $"https://osv.dev/vulnerability/{Uri.EscapeDataString(f.AdvisoryId)}");
        json.WriteStartObject("help");
        json.WriteString("text", $"Advisory {f.AdvisoryId}{(f.Aliases.Count > 0 ? " (" + string.Join(", ", f.Aliases) + ")" : "")}, severity {f.Severity}{(f.CvssVector is { } v ? ", " + v : "")}.");
        json.WriteEndObject();
        json.WriteStartObject("defaultConfiguration");
        json.WriteString("level", Level(f.Severity));
        json.WriteEndObject();
        json.WriteStartObject("properties");
        json.WriteString("security-severity", SecuritySeverity(f));
        json.WriteStartArray("tags");
        json.WriteStringValue("security");
        json.WriteStringValue("vulnerability");
        json.WriteStringValue(f.Severity);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteResult(Utf8JsonWriter json, ScanReport report, Finding f, int ruleIndex)
    {
        json.WriteStartObject();
        json.WriteString("ruleId", f.AdvisoryId);
        json.WriteNumber("ruleIndex", ruleIndex);
        json.WriteString("level", Level(f.Severity));
        json.WriteStartObject("message");
        json.WriteString("text",
            $"Package {f.PackageName} {f.InstalledVersion} ({f.PackageType}) in {report.Subject.DisplayName} is affected by {f.AdvisoryId} ({f.Severity}); "
            + (f.FixedVersion is { } fix ? $"fixed in {fix}." : "no fixed version.")
            + (f.LayerDigest is { } layer ? $" Introduced by layer {layer}." : ""));
        json.WriteEndObject();
        json.WriteStartArray("locations");
        json.WriteStartObject();
        json.WriteStartObject("physicalLocation");
        json.WriteStartObject("artifactLocation");
        json.WriteString("uri", RelativeUri(f.Path));
        json.WriteEndObject();
        json.WriteStartObject("region");
        json.WriteNumber("startLine", 1);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartObject("message");
        json.WriteString("text", $"{report.Subject.DisplayName}: {f.Path}");
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteStartObject("partialFingerprints");
        json.WriteString("bollardFinding/v1", $"{report.Subject.Repository}|{f.AdvisoryId}|{f.Purl}|{f.Path}");
        json.WriteEndObject();
        json.WriteStartObject("properties");
        json.WriteString("image", report.Subject.DisplayName);
        json.WriteString("digest", report.Subject.ManifestDigest);
        json.WriteString("purl", f.Purl);
        json.WriteString("installedVersion", f.InstalledVersion);
        if (f.FixedVersion is { } fixedVersion) json.WriteString("fixedVersion", fixedVersion);
        json.WriteString("status", JsonReport.StatusName(f.Status));
        if (f.LayerDigest is { } l) json.WriteString("layerDigest", l);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>critical and high are errors, medium a warning, the rest notes.</summary>
    private static string Level(string severity) => Severities.Rank(severity) switch
    {
        >= 4 => "error",
        3 => "warning",
        _ => "note",
    };

    /// <summary>GitHub's <c>security-severity</c>: the CVSS score, else the middle of the rating's CVSS band.</summary>
    private static string SecuritySeverity(Finding f) =>
        (f.CvssScore ?? Severities.Rank(f.Severity) switch { 5 => 9.5, 4 => 8.0, 3 => 5.5, 2 => 2.0, _ => 0.0 })
        .ToString("0.0", CultureInfo.InvariantCulture);

    private static string RelativeUri(string path)
    {
        string relative = path.TrimStart('/');
        if (relative.Length == 0) relative = ".";
        return string.Join('/', relative.Split('/').Select(Uri.EscapeDataString));
    }

    private static string FirstLine(string text)
    {
        string line = text.ReplaceLineEndings("\n").Split('\n')[0].Trim();
        return line.Length <= 200 ? line : line[..197] + "...";
    }
}
