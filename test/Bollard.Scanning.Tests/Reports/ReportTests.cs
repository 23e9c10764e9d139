using System.Text;
using System.Text.Json;
using Bollard.Core.Scanning;
using Bollard.Scanning.Reports;
using Bollard.Scanning.Tests.Sbom;

namespace Bollard.Scanning.Tests.Reports;

public sealed class ReportTests
{
    private static ScanReport Report(ReportFilter filter) =>
        new(SampleInventories.Subject, SampleInventories.Full(), filter.Apply(SampleFindings.All()));

    [Fact]
    public void Filter_drops_hidden_findings_and_applies_severity_and_ignore_unfixed()
    {
        Assert.Equal(7, ReportFilter.All.Apply(SampleFindings.All()).Count);
        Assert.Equal(5, new ReportFilter([], IgnoreUnfixed: true).Apply(SampleFindings.All()).Count);
        var severe = new ReportFilter(ReportFilter.ParseSeverities("critical, HIGH"), false).Apply(SampleFindings.All());
        Assert.Equal(["GHSA-5crp-9r3c-p9vr", "GHSA-jfh8-c2jp-5v3q", "GHSA-p6mc-m468-83gw"], severe.Select(f => f.AdvisoryId).Order());
        Assert.Empty(new ReportFilter([Severities.Negligible], IgnoreUnfixed: true).Apply(SampleFindings.All()));
    }

    [Fact]
    public void ParseSeverities_refuses_an_unknown_word() =>
        Assert.Contains("'severe'", Assert.Throws<FormatException>(() => ReportFilter.ParseSeverities("high,severe")).Message, StringComparison.Ordinal);

    [Fact]
    public void Table_is_sorted_most_severe_first_with_totals()
    {
        var output = new StringWriter();
        TableReport.Write(output, [Report(ReportFilter.All)]);
        string[] lines = output.ToString().Split('\n');

        Assert.Equal("localhost:5000/team/app:1.0 (debian 12, linux/amd64)", lines[0]);
        Assert.Contains("Findings: 7 (CRITICAL: 1, HIGH: 2, MEDIUM: 2, LOW: 0, NEGLIGIBLE: 1, UNKNOWN: 1)", lines[2], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("warning: layer sha256:2222", StringComparison.Ordinal));
        var rows = lines.SkipWhile(l => !l.StartsWith("PACKAGE", StringComparison.Ordinal)).Skip(1).Where(l => l.Length > 0).ToList();
        Assert.Equal(["CRITICAL", "HIGH", "HIGH", "MEDIUM", "MEDIUM", "NEGLIGIBLE", "UNKNOWN"],
            rows.Select(r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]));
        Assert.StartsWith("org.apache.logging.log4j:log4j-core", rows[0], StringComparison.Ordinal);
        Assert.Contains("unfixed", rows[5], StringComparison.Ordinal);
    }

    [Fact]
    public void Table_never_writes_control_characters_from_advisory_text()
    {
        var findings = SampleFindings.All().Take(1).Select(f => f with { Summary = "evil\u001b[2Jtitle" }).ToList();
        var output = new StringWriter();
        TableReport.Write(output, [new ScanReport(SampleInventories.Subject, SampleInventories.Full(), findings)]);
        Assert.DoesNotContain('\u001b', output.ToString());
    }

    [Fact]
    public void Json_lists_every_field_in_table_order()
    {
        using var buffer = new MemoryStream();
        JsonReport.Write(buffer, [Report(new ReportFilter([], IgnoreUnfixed: true))]);
        using var doc = JsonDocument.Parse(buffer.ToArray());
        var image = doc.RootElement.GetProperty("images")[0];

        Assert.Equal(SampleInventories.Manifest, image.GetProperty("digest").GetString());
        Assert.Equal(1, image.GetProperty("summary").GetProperty("critical").GetInt32());
        var first = image.GetProperty("findings")[0];
        Assert.Equal("GHSA-jfh8-c2jp-5v3q", first.GetProperty("advisoryId").GetString());
        Assert.Equal("CVE-2021-44228", first.GetProperty("aliases")[0].GetString());
        Assert.Equal("2.15.0", first.GetProperty("fixedVersion").GetString());
        Assert.Equal(10.0, first.GetProperty("cvssScore").GetDouble());
        Assert.Equal("affected", first.GetProperty("status").GetString());
        Assert.Equal(SampleInventories.Layer1, first.GetProperty("layerDigest").GetString());
        Assert.Equal(5, image.GetProperty("findings").GetArrayLength());
    }

    [Fact]
    public void Sarif_is_valid_against_the_official_2_1_0_schema()
    {
        using var buffer = new MemoryStream();
        SarifReport.Write(buffer, [Report(ReportFilter.All), Report(ReportFilter.All) with { Subject = SampleInventories.Subject with { Tag = "2.0" } }]);
        byte[] sarif = buffer.ToArray();

        Schemas.AssertValid(Schemas.Sarif, sarif);
        using var doc = JsonDocument.Parse(sarif);
        var run = doc.RootElement.GetProperty("runs")[0];
        var rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().ToList();
        Assert.Equal(7, rules.Count);
        var results = run.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(14, results.Count);
        foreach (var result in results)
            Assert.Equal(result.GetProperty("ruleId").GetString(), rules[result.GetProperty("ruleIndex").GetInt32()].GetProperty("id").GetString());
        var log4j = rules.Single(r => r.GetProperty("id").GetString() == "GHSA-jfh8-c2jp-5v3q");
        Assert.Equal("10.0", log4j.GetProperty("properties").GetProperty("security-severity").GetString());
        Assert.Equal("error", results[0].GetProperty("level").GetString());
        Assert.Equal("app/app.war%21/WEB-INF/lib/log4j-core-2.14.1.jar",
            results[0].GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString());
    }

    [Fact]
    public void Sarif_schema_refuses_a_log_the_writer_would_never_make()
    {
        using var buffer = new MemoryStream();
        SarifReport.Write(buffer, [Report(ReportFilter.All)]);
        string sarif = Encoding.UTF8.GetString(buffer.ToArray());
        string broken = sarif.Replace("\"level\": \"error\"", "\"level\": \"fatal\"", StringComparison.Ordinal);
        Assert.NotEqual(sarif, broken);
        using var doc = JsonDocument.Parse(broken);
        Assert.False(Schemas.Sarif.Evaluate(doc.RootElement).IsValid);
    }

    [Fact]
    public void Sarif_of_no_findings_is_valid()
    {
        using var buffer = new MemoryStream();
        SarifReport.Write(buffer, [new ScanReport(SampleInventories.Subject, SampleInventories.Full(), [])]);
        Schemas.AssertValid(Schemas.Sarif, buffer.ToArray());
    }
}
