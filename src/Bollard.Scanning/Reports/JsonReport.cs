using System.Globalization;
using System.Text.Json;
using Bollard.Core.Scanning;
using Bollard.Scanning.Sbom;

namespace Bollard.Scanning.Reports;

/// <summary>
/// The machine-readable report: <c>{"schemaVersion":1,"images":[{image, repository, tag, digest, platform, os,
/// packages, warnings, summary, findings:[...]}]}</c>, findings in the table's order with every field of
/// <see cref="Finding"/> (status as <c>affected</c>, <c>unfixed</c>...).
/// </summary>
public static class JsonReport
{
    public static void Write(Stream output, IReadOnlyList<ScanReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        using var json = new Utf8JsonWriter(output, SbomDocument.WriterOptions);
        json.WriteStartObject();
        json.WriteNumber("schemaVersion", 1);
        json.WriteString("generator", $"{SbomDocument.ToolName} {SbomDocument.ToolVersion}");
        json.WriteStartArray("images");
        foreach (var report in reports)
        {
            var inventory = report.Inventory;
            json.WriteStartObject();
            json.WriteString("image", report.Subject.DisplayName);
            json.WriteString("repository", report.Subject.Repository);
            if (report.Subject.Tag is { } tag) json.WriteString("tag", tag);
            json.WriteString("digest", report.Subject.ManifestDigest);
            if (inventory.Platform is { } platform) json.WriteString("platform", platform);
            if (inventory.Os is { } os)
            {
                json.WriteStartObject("os");
                json.WriteString("id", os.Id);
                if (os.VersionId is { } v) json.WriteString("versionId", v);
                if (os.Codename is { } c) json.WriteString("codename", c);
                if (os.PrettyName is { } p) json.WriteString("prettyName", p);
                json.WriteEndObject();
            }
            json.WriteNumber("packages", inventory.Packages.Count);
            json.WriteStartArray("warnings");
            foreach (string w in inventory.Warnings) json.WriteStringValue(w);
            json.WriteEndArray();
            json.WriteStartObject("summary");
            foreach (var (severity, count) in report.CountBySeverity()) json.WriteNumber(severity, count);
            json.WriteEndObject();
            json.WriteStartArray("findings");
            foreach (var f in report.Sorted) WriteFinding(json, f);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        output.WriteByte((byte)'\n');
    }

    private static void WriteFinding(Utf8JsonWriter json, Finding f)
    {
        json.WriteStartObject();
        json.WriteString("advisoryId", f.AdvisoryId);
        json.WriteStartArray("aliases");
        foreach (string a in f.Aliases) json.WriteStringValue(a);
        json.WriteEndArray();
        json.WriteString("source", f.Source);
        json.WriteString("packageType", f.PackageType);
        json.WriteString("packageName", f.PackageName);
        json.WriteString("installedVersion", f.InstalledVersion);
        if (f.FixedVersion is { } fixedVersion) json.WriteString("fixedVersion", fixedVersion);
        else json.WriteNull("fixedVersion");
        json.WriteString("severity", f.Severity);
        if (f.CvssScore is { } score) json.WriteNumber("cvssScore", Math.Round(score, 1));
        if (f.CvssVector is { } vector) json.WriteString("cvssVector", vector);
        if (f.Summary is { } summary) json.WriteString("summary", summary);
        json.WriteString("purl", f.Purl);
        json.WriteString("path", f.Path);
        if (f.LayerDigest is { } layer) json.WriteString("layerDigest", layer);
        json.WriteString("status", StatusName(f.Status));
        if (f.StatusReason is { } reason) json.WriteString("statusReason", reason);
        json.WriteEndObject();
    }

    /// <summary><c>affected</c>, <c>unfixed</c>, <c>not_affected</c>, <c>fixed</c>, <c>excepted</c>.</summary>
    public static string StatusName(FindingStatus status) => status switch
    {
        FindingStatus.NotAffected => "not_affected",
        _ => status.ToString().ToLower(CultureInfo.InvariantCulture),
    };
}
