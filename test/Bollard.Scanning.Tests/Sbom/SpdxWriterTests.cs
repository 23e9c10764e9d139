using System.Text.Json;
using System.Text.RegularExpressions;
using Bollard.Core.Scanning;
using Bollard.Scanning.Sbom;
using Microsoft.Extensions.Time.Testing;

namespace Bollard.Scanning.Tests.Sbom;

public sealed partial class SpdxWriterTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));

    [GeneratedRegex(@"^SPDXRef-[A-Za-z0-9.\-]+$")]
    private static partial Regex SpdxId();

    [GeneratedRegex(@"LicenseRef-[A-Za-z0-9.\-]+")]
    private static partial Regex LicenseRef();

    [Fact]
    public void Write_every_package_type_is_valid_SPDX_2_3()
    {
        byte[] spdx = new SpdxWriter(Clock).Write(SampleInventories.Full(), SampleInventories.Subject);

        Schemas.AssertValid(Schemas.Spdx, spdx);
        AssertSpdxRules(spdx);
    }

    [Fact]
    public void Write_an_empty_image_without_os_is_valid_SPDX_2_3()
    {
        var inventory = new ImageInventory { ManifestDigest = SampleInventories.Manifest, Packages = [], Layers = [] };
        byte[] spdx = new SpdxWriter(Clock).Write(inventory, SampleInventories.Subject with { Tag = null });

        Schemas.AssertValid(Schemas.Spdx, spdx);
        AssertSpdxRules(spdx);
    }

    /// <summary>The schema copy is the real one and is enforced: a broken document (an unknown relationship type, a package without its SPDXID) fails.</summary>
    [Fact]
    public void The_SPDX_2_3_schema_rejects_a_broken_document()
    {
        var doc = System.Text.Json.Nodes.JsonNode.Parse(new SpdxWriter(Clock).Write(SampleInventories.Full(), SampleInventories.Subject))!;
        var schemaFile = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Sbom", "schemas", "spdx-2.3.schema.json")))!;
        Assert.Equal("http://spdx.org/rdf/terms/2.3", schemaFile["$id"]!.GetValue<string>());
        doc["relationships"]![0]!["relationshipType"] = "IS_NEAR";
        doc["packages"]![0]!.AsObject().Remove("SPDXID");
        using var parsed = JsonDocument.Parse(doc.ToJsonString());
        var result = Schemas.Spdx.Evaluate(parsed.RootElement, new Json.Schema.EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.List });
        Assert.False(result.IsValid);
    }

    [Fact]
    public void Write_the_document_describes_the_image_by_digest()
    {
        using var doc = JsonDocument.Parse(new SpdxWriter(Clock).Write(SampleInventories.Full(), SampleInventories.Subject));
        var root = doc.RootElement;
        string described = root.GetProperty("documentDescribes")[0].GetString()!;
        var image = Package(root, described);

        Assert.Equal("CONTAINER", image.GetProperty("primaryPackagePurpose").GetString());
        Assert.Equal(SampleInventories.Manifest, image.GetProperty("versionInfo").GetString());
        Assert.Equal(SampleInventories.Manifest[7..], image.GetProperty("checksums")[0].GetProperty("checksumValue").GetString());
        Assert.StartsWith("pkg:oci/app@sha256%3A", image.GetProperty("externalRefs")[0].GetProperty("referenceLocator").GetString());
        Assert.Equal("2025-06-01T12:00:00Z", root.GetProperty("creationInfo").GetProperty("created").GetString());
        Assert.Contains(root.GetProperty("relationships").EnumerateArray(), r =>
            r.GetProperty("spdxElementId").GetString() == "SPDXRef-DOCUMENT" && r.GetProperty("relationshipType").GetString() == "DESCRIBES"
            && r.GetProperty("relatedSpdxElement").GetString() == described);
    }

    [Fact]
    public void Write_packages_have_purls_licences_layer_annotations_and_the_os()
    {
        using var doc = JsonDocument.Parse(new SpdxWriter(Clock).Write(SampleInventories.Full(), SampleInventories.Subject));
        var root = doc.RootElement;
        var packages = root.GetProperty("packages").EnumerateArray().ToList();

        var os = Assert.Single(packages, p => p.GetProperty("primaryPackagePurpose").GetString() == "OPERATING_SYSTEM");
        Assert.Equal("debian", os.GetProperty("name").GetString());
        Assert.Equal(SampleInventories.Full().Packages.Count + 2, packages.Count);

        var ssl = ByPurl(packages, "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12");
        Assert.Equal("Apache-2.0", ssl.GetProperty("licenseDeclared").GetString());
        Assert.Contains(ssl.GetProperty("annotations").EnumerateArray(), a => a.GetProperty("comment").GetString() == $"bollard:layer:digest={SampleInventories.Layer0}");
        Assert.Equal("acquired package info from /var/lib/dpkg/status", ssl.GetProperty("sourceInfo").GetString());

        Assert.Equal("LicenseRef-GPL-2-plus AND LGPL-2.1+ AND LicenseRef-public-domain",
            ByPurl(packages, "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12").GetProperty("licenseDeclared").GetString());
        Assert.Equal("MIT", ByPurl(packages, "pkg:npm/%40types/node@20.11.5").GetProperty("licenseDeclared").GetString());
        Assert.Equal("NOASSERTION", ByPurl(packages, "pkg:npm/minimist@1.2.0").GetProperty("licenseDeclared").GetString());
        Assert.Equal("(Apache-2.0 OR MIT) AND (GPL-2.0-only WITH Classpath-exception-2.0)",
            ByPurl(packages, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1").GetProperty("licenseDeclared").GetString());
        var extracted = root.GetProperty("hasExtractedLicensingInfos").EnumerateArray().ToDictionary(e => e.GetProperty("licenseId").GetString()!, e => e.GetProperty("extractedText").GetString());
        Assert.Equal("GPL-2+", extracted["LicenseRef-GPL-2-plus"]);
        Assert.Equal("ASL 2.0", extracted["LicenseRef-ASL-2.0"]);
        Assert.Equal("LicenseRef-ring", extracted["LicenseRef-ring"]);
    }

    [Fact]
    public void Write_is_deterministic_whatever_the_package_order()
    {
        var inventory = SampleInventories.Full();
        var writer = new SpdxWriter(Clock);

        Assert.Equal(writer.Write(inventory, SampleInventories.Subject), writer.Write(inventory with { Packages = [.. inventory.Packages.Reverse()] }, SampleInventories.Subject));
    }

    /// <summary>The SPDX 2.3 rules the JSON schema does not express: ids, references, required fields.</summary>
    internal static void AssertSpdxRules(byte[] spdx)
    {
        using var doc = JsonDocument.Parse(spdx);
        var root = doc.RootElement;
        Assert.Equal("SPDX-2.3", root.GetProperty("spdxVersion").GetString());
        Assert.Equal("CC0-1.0", root.GetProperty("dataLicense").GetString());
        Assert.Equal("SPDXRef-DOCUMENT", root.GetProperty("SPDXID").GetString());
        string ns = root.GetProperty("documentNamespace").GetString()!;
        Assert.True(Uri.TryCreate(ns, UriKind.Absolute, out _) && !ns.Contains('#', StringComparison.Ordinal), ns);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", root.GetProperty("creationInfo").GetProperty("created").GetString());
        Assert.NotEmpty(root.GetProperty("creationInfo").GetProperty("creators").EnumerateArray());

        var ids = new HashSet<string> { "SPDXRef-DOCUMENT" };
        foreach (var package in root.GetProperty("packages").EnumerateArray())
        {
            string id = package.GetProperty("SPDXID").GetString()!;
            Assert.Matches(SpdxId(), id);
            Assert.True(ids.Add(id), $"duplicate SPDXID {id}");
            Assert.False(string.IsNullOrEmpty(package.GetProperty("name").GetString()));
            Assert.False(string.IsNullOrEmpty(package.GetProperty("downloadLocation").GetString()));
        }
        foreach (var described in root.GetProperty("documentDescribes").EnumerateArray()) Assert.Contains(described.GetString()!, ids);
        foreach (var relationship in root.GetProperty("relationships").EnumerateArray())
        {
            Assert.Contains(relationship.GetProperty("spdxElementId").GetString()!, ids);
            Assert.Contains(relationship.GetProperty("relatedSpdxElement").GetString()!, ids);
        }
        var declaredRefs = root.TryGetProperty("hasExtractedLicensingInfos", out var infos)
            ? infos.EnumerateArray().Select(i => i.GetProperty("licenseId").GetString()!).ToHashSet()
            : [];
        foreach (var package in root.GetProperty("packages").EnumerateArray())
            foreach (Match m in LicenseRef().Matches(package.GetProperty("licenseDeclared").GetString()!))
                Assert.Contains(m.Value, declaredRefs);
    }

    private static JsonElement Package(JsonElement root, string id) =>
        root.GetProperty("packages").EnumerateArray().First(p => p.GetProperty("SPDXID").GetString() == id);

    private static JsonElement ByPurl(List<JsonElement> packages, string purl) =>
        packages.First(p => p.TryGetProperty("externalRefs", out var refs) && refs.EnumerateArray().Any(r => r.GetProperty("referenceLocator").GetString() == purl));
}
