using System.Text;
using Bollard.Core.Scanning;
using Bollard.Scanning.Pipeline;

namespace Bollard.Scanning.Tests.Pipeline;

/// <summary>OpenVEX v0.2.0 statements against findings: which products a statement is about, and which statement wins.</summary>
public sealed class OpenVexTests
{
    private const string Image = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string Other = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    private static readonly Finding Lodash = new()
    {
        AdvisoryId = "GHSA-29mw-wpgm-hmr9", Aliases = ["CVE-2020-28500"], Source = "osv", PackageType = "npm", PackageName = "lodash",
        InstalledVersion = "4.17.15", FixedVersion = "4.17.21", Severity = Severities.Medium, Purl = "pkg:npm/lodash@4.17.15",
        Path = "app/package-lock.json", Status = FindingStatus.Affected,
    };

    private static OpenVex Doc(string timestamp, params string[] statements) => OpenVex.Parse(Encoding.UTF8.GetBytes($$"""
        {
          "@context": "https://openvex.dev/ns/v0.2.0",
          "@id": "https://example.com/vex/{{Guid.NewGuid()}}",
          "author": "Web team <web@example.com>",
          "timestamp": "{{timestamp}}",
          "version": 1,
          "statements": [{{string.Join(",", statements)}}]
        }
        """));

    private static string Statement(string status, string products = "", string vulnerability = "CVE-2020-28500", string? timestamp = null, string extra = "") =>
        $$"""
        { "vulnerability": { "name": "{{vulnerability}}" }, {{(products.Length > 0 ? $"\"products\": [{products}]," : "")}}
          {{(timestamp is null ? "" : $"\"timestamp\": \"{timestamp}\",")}} {{extra}} "status": "{{status}}" }
        """;

    private static string ImageProduct(string digest, params string[] subcomponents) =>
        $$"""{ "@id": "pkg:oci/app@{{digest.Replace(":", "%3A", StringComparison.Ordinal)}}?repository_url=registry.example.com/team/app"{{(subcomponents.Length > 0 ? ", \"subcomponents\": [" + string.Join(",", subcomponents.Select(s => $"{{ \"@id\": \"{s}\" }}")) + "]" : "")}} }""";

    [Fact]
    public void NotAffected_ForThisImage_WithJustification()
    {
        var doc = Doc("2026-12-01T10:00:00Z", Statement("not_affected", ImageProduct(Image, "pkg:npm/lodash@4.17.15"),
            extra: "\"justification\": \"vulnerable_code_not_in_execute_path\", \"impact_statement\": \"trim() never sees user input\","));
        var verdict = OpenVex.Resolve([doc], Lodash, Image);
        Assert.Equal(new VexVerdict(FindingStatus.NotAffected, "not_affected", "vulnerable_code_not_in_execute_path: trim() never sees user input"), verdict);
    }

    [Fact]
    public void AStatementAboutAnotherProduct_IsNotAboutTheFinding()
    {
        // Another image, even naming the same package as subcomponent; this image but another package; another package purl.
        var doc = Doc("2026-12-01T10:00:00Z",
            Statement("not_affected", ImageProduct(Other, "pkg:npm/lodash@4.17.15")),
            Statement("not_affected", ImageProduct(Image, "pkg:npm/minimist@1.2.0")),
            Statement("fixed", "{ \"@id\": \"pkg:npm/lodash@4.17.21\" }"),
            Statement("not_affected", ImageProduct(Image), vulnerability: "CVE-2099-0001"));
        Assert.Null(OpenVex.Resolve([doc], Lodash, Image));
    }

    [Fact]
    public void ThePackageItself_OrNoProducts_IsAboutTheFinding()
    {
        Assert.Equal(FindingStatus.Fixed, OpenVex.Resolve([Doc("2026-12-01T10:00:00Z", Statement("fixed", "{ \"@id\": \"pkg:npm/lodash\" }"))], Lodash, Image)!.Status);
        Assert.Equal(FindingStatus.NotAffected, OpenVex.Resolve([Doc("2026-12-01T10:00:00Z", Statement("not_affected"))], Lodash, Image)!.Status);
        Assert.Equal(FindingStatus.NotAffected, OpenVex.Resolve([Doc("2026-12-01T10:00:00Z", Statement("not_affected", ImageProduct(Image)))], Lodash, Image)!.Status);
    }

    [Fact]
    public void TheLatestStatementWins_AcrossDocuments_ByTimestamp()
    {
        var first = Doc("2026-12-01T10:00:00Z", Statement("not_affected"));
        var second = Doc("2026-12-02T10:00:00Z", Statement("under_investigation", extra: "\"status_notes\": \"re-checking trimEnd\","));
        var older = Doc("2026-11-01T10:00:00Z", Statement("fixed"));
        // Whatever order the documents come in, the statement of 2 December wins.
        foreach (var docs in new[] { new[] { first, second, older }, [older, second, first], [second, first, older] })
            Assert.Equal(new VexVerdict(null, "under_investigation", "re-checking trimEnd"), OpenVex.Resolve(docs, Lodash, Image));
        // A statement's own timestamp overrides its document's.
        var restated = Doc("2026-11-01T10:00:00Z", Statement("affected", timestamp: "2026-12-03T00:00:00Z", extra: "\"action_statement\": \"upgrade to 4.17.21\","));
        Assert.Equal(new VexVerdict(null, "affected", "upgrade to 4.17.21"), OpenVex.Resolve([first, second, restated], Lodash, Image));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{ "statements": [] }""")]
    [InlineData("""{ "@context": "https://example.com/not-vex", "statements": [] }""")]
    [InlineData("""{ "@context": "https://openvex.dev/ns/v0.2.0", "statements": {} }""")]
    public void NotAnOpenVexDocument_IsAFormatException(string json) =>
        Assert.Throws<FormatException>(() => OpenVex.Parse(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void StatementsWithoutVulnerabilityOrWithAnUnknownStatus_AreDropped()
    {
        var doc = Doc("2026-12-01T10:00:00Z", Statement("not_relevant"), """{ "status": "not_affected" }""", Statement("fixed"));
        Assert.Equal(1, doc.Count);
    }
}
