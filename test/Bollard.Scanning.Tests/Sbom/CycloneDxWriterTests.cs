using System.Text.Json;
using Bollard.Core.Scanning;
using Bollard.Scanning.Sbom;
using Microsoft.Extensions.Time.Testing;

namespace Bollard.Scanning.Tests.Sbom;

public sealed class CycloneDxWriterTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Write_every_package_type_is_valid_against_the_official_1_6_schema()
    {
        byte[] bom = new CycloneDxWriter(Clock).Write(SampleInventories.Full(), SampleInventories.Subject);

        Schemas.AssertValid(Schemas.CycloneDx, bom);
        using var doc = JsonDocument.Parse(bom);
        // The package's copy of the schema no longer requires "version"; the official one does.
        Assert.Equal(1, doc.RootElement.GetProperty("version").GetInt32());
    }

    [Fact]
    public void Schema_refuses_a_bom_the_writer_would_never_make()
    {
        // The validation is real: a wrong component type and a licence id off the list are both refused.
        string bom = System.Text.Encoding.UTF8.GetString(new CycloneDxWriter(Clock).Write(SampleInventories.Full(), SampleInventories.Subject));
        foreach (string broken in new[] { bom.Replace("\"type\": \"library\"", "\"type\": \"lib\"", StringComparison.Ordinal),
                     bom.Replace("\"id\": \"Apache-2.0\"", "\"id\": \"Apache-2\"", StringComparison.Ordinal) })
        {
            Assert.NotEqual(bom, broken);
            using var doc = JsonDocument.Parse(broken);
            Assert.False(Schemas.CycloneDx.Evaluate(doc.RootElement).IsValid);
        }
    }

    [Fact]
    public void Write_an_empty_image_without_os_is_valid()
    {
        var inventory = new ImageInventory { ManifestDigest = SampleInventories.Manifest, Packages = [], Layers = [] };
        byte[] bom = new CycloneDxWriter(Clock).Write(inventory, SampleInventories.Subject with { Tag = null });
        Schemas.AssertValid(Schemas.CycloneDx, bom);
    }

    [Fact]
    public void Write_the_image_digest_is_the_subject()
    {
        using var doc = JsonDocument.Parse(new CycloneDxWriter(Clock).Write(SampleInventories.Full(), SampleInventories.Subject));
        var image = doc.RootElement.GetProperty("metadata").GetProperty("component");

        Assert.Equal("container", image.GetProperty("type").GetString());
        Assert.Equal(SampleInventories.Manifest, image.GetProperty("version").GetString());
        Assert.Equal(SampleInventories.Manifest[7..], image.GetProperty("hashes")[0].GetProperty("content").GetString());
        Assert.Equal("pkg:oci/app@sha256%3A" + SampleInventories.Manifest[7..] + "?repository_url=localhost%3A5000/team/app&tag=1.0",
            image.GetProperty("purl").GetString());
        Assert.Equal("2025-06-01T12:00:00Z", doc.RootElement.GetProperty("metadata").GetProperty("timestamp").GetString());
    }

    [Fact]
    public void Write_packages_have_purls_licences_layers_and_the_os_component()
    {
        using var doc = JsonDocument.Parse(new CycloneDxWriter(Clock).Write(SampleInventories.Full(), SampleInventories.Subject));
        var components = doc.RootElement.GetProperty("components").EnumerateArray().ToList();

        var os = Assert.Single(components, c => c.GetProperty("type").GetString() == "operating-system");
        Assert.Equal("debian", os.GetProperty("name").GetString());
        Assert.Equal("12", os.GetProperty("version").GetString());
        Assert.Equal(SampleInventories.Full().Packages.Count, components.Count - 1);

        var ssl = Component(components, "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12");
        Assert.Equal("Apache-2.0", ssl.GetProperty("licenses")[0].GetProperty("license").GetProperty("id").GetString());
        Assert.Equal(SampleInventories.Layer0, Property(ssl, "bollard:layer:digest"));
        Assert.Equal("openssl", Property(ssl, "bollard:package:source-name"));
        Assert.Equal("/var/lib/dpkg/status", ssl.GetProperty("evidence").GetProperty("occurrences")[0].GetProperty("location").GetString());

        // Debian's own short names are not SPDX ids: kept as names; a listed (deprecated) id stays an id.
        var libc = Component(components, "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12");
        var libcLicenses = libc.GetProperty("licenses").EnumerateArray().Select(l => l.GetProperty("license")).ToList();
        Assert.Equal("GPL-2+", libcLicenses[0].GetProperty("name").GetString());
        Assert.Equal("LGPL-2.1+", libcLicenses[1].GetProperty("id").GetString());
        Assert.Equal("public-domain", libcLicenses[2].GetProperty("name").GetString());
        // A lower-case id is written in its canonical case.
        Assert.Equal("MIT", Component(components, "pkg:npm/%40types/node@20.11.5").GetProperty("licenses")[0].GetProperty("license").GetProperty("id").GetString());
        Assert.Equal("@types", Component(components, "pkg:npm/%40types/node@20.11.5").GetProperty("group").GetString());
        // Two expressions become one.
        var log4j = Component(components, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
        Assert.Equal("(Apache-2.0 OR MIT) AND (GPL-2.0-only WITH Classpath-exception-2.0)", log4j.GetProperty("licenses")[0].GetProperty("expression").GetString());
        Assert.Equal("org.apache.logging.log4j", log4j.GetProperty("group").GetString());
        Assert.Equal("log4j-core", log4j.GetProperty("name").GetString());
        Assert.False(Component(components, "pkg:npm/minimist@1.2.0").TryGetProperty("licenses", out _));
        Assert.Equal("LicenseRef-ring", Component(components, "pkg:cargo/ring@0.16.20").GetProperty("licenses")[0].GetProperty("expression").GetString());
    }

    [Fact]
    public void Write_the_same_package_at_two_paths_gets_two_unique_bom_refs_all_in_the_dependency_graph()
    {
        using var doc = JsonDocument.Parse(new CycloneDxWriter(Clock).Write(SampleInventories.Full(), SampleInventories.Subject));
        var refs = doc.RootElement.GetProperty("components").EnumerateArray().Select(c => c.GetProperty("bom-ref").GetString()).ToList();

        Assert.Equal(refs.Count, refs.Distinct().Count());
        Assert.Equal(2, refs.Count(r => r!.StartsWith("pkg:npm/lodash@4.17.15", StringComparison.Ordinal)));
        var dependsOn = doc.RootElement.GetProperty("dependencies")[0].GetProperty("dependsOn").EnumerateArray().Select(d => d.GetString()).ToList();
        Assert.Equal(refs, dependsOn);
    }

    [Fact]
    public void Write_is_deterministic_whatever_the_package_order_and_the_serial_follows_the_digest()
    {
        var inventory = SampleInventories.Full();
        var shuffled = inventory with { Packages = [.. inventory.Packages.Reverse()] };
        var writer = new CycloneDxWriter(Clock);

        byte[] first = writer.Write(inventory, SampleInventories.Subject);
        Assert.Equal(first, writer.Write(shuffled, SampleInventories.Subject));

        var other = SampleInventories.Subject with { ManifestDigest = "sha256:" + new string('9', 64) };
        using var a = JsonDocument.Parse(first);
        using var b = JsonDocument.Parse(writer.Write(inventory with { ManifestDigest = other.ManifestDigest }, other));
        Assert.NotEqual(a.RootElement.GetProperty("serialNumber").GetString(), b.RootElement.GetProperty("serialNumber").GetString());

        var later = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var c = JsonDocument.Parse(new CycloneDxWriter(later).Write(inventory, SampleInventories.Subject));
        Assert.Equal(a.RootElement.GetProperty("serialNumber").GetString(), c.RootElement.GetProperty("serialNumber").GetString());
        Assert.Equal("2026-01-01T00:00:00Z", c.RootElement.GetProperty("metadata").GetProperty("timestamp").GetString());
    }

    private static JsonElement Component(List<JsonElement> components, string purl) =>
        components.First(c => c.TryGetProperty("purl", out var p) && p.GetString() == purl);

    private static string? Property(JsonElement component, string name) =>
        component.GetProperty("properties").EnumerateArray().First(p => p.GetProperty("name").GetString() == name).GetProperty("value").GetString();
}
