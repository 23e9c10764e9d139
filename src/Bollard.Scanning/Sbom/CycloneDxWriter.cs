using System.Globalization;
using System.Text.Json;
using Bollard.Core.Scanning;

namespace Bollard.Scanning.Sbom;

/// <summary>
/// CycloneDX 1.6 JSON (<c>bom-1.6.schema.json</c>) of one image: the image as <c>metadata.component</c> (type
/// <c>container</c>, its digest as version, hash and purl), the distribution as an <c>operating-system</c>
/// component, every package as a <c>library</c> with its purl, declared licences (an SPDX expression when valid,
/// else the licence names), the file it was read from (<c>evidence.occurrences</c>) and the layer that introduced it
/// (property <c>bollard:layer:digest</c>), and a dependency entry from the image to every component. The serial
/// number is derived from the subject and the engine, the timestamp comes from the injected clock: everything
/// else is the same bytes for the same inventory.
/// </summary>
public sealed class CycloneDxWriter(TimeProvider time) : ISbomWriter
{
    public const string FormatName = "cyclonedx";
    public const string MediaTypeName = "application/vnd.cyclonedx+json";

    public string Format => FormatName;

    public string MediaType => MediaTypeName;

    public byte[] Write(ImageInventory inventory, SbomSubject subject)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, SbomDocument.WriterOptions))
        {
            string imageRef = subject.Purl;
            json.WriteStartObject();
            json.WriteString("$schema", "http://cyclonedx.org/schema/bom-1.6.schema.json");
            json.WriteString("bomFormat", "CycloneDX");
            json.WriteString("specVersion", "1.6");
            json.WriteString("serialNumber", "urn:uuid:" + SbomDocument.StableUuid(FormatName, subject, inventory).ToString("D"));
            json.WriteNumber("version", 1);

            json.WriteStartObject("metadata");
            json.WriteString("timestamp", SbomDocument.Timestamp(time));
            json.WriteStartObject("tools");
            json.WriteStartArray("components");
            json.WriteStartObject();
            json.WriteString("type", "application");
            json.WriteString("name", SbomDocument.ToolName);
            json.WriteString("version", SbomDocument.ToolVersion);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            WriteImage(json, inventory, subject, imageRef);
            json.WriteEndObject();

            var refs = new List<string>();
            json.WriteStartArray("components");
            if (inventory.Os is { } os)
            {
                string osRef = $"os:{os.Id}@{os.VersionId ?? "unknown"}";
                refs.Add(osRef);
                json.WriteStartObject();
                json.WriteString("type", "operating-system");
                json.WriteString("bom-ref", osRef);
                json.WriteString("name", os.Id);
                if (!string.IsNullOrEmpty(os.VersionId)) json.WriteString("version", os.VersionId);
                if (!string.IsNullOrEmpty(os.PrettyName)) json.WriteString("description", os.PrettyName);
                if (!string.IsNullOrEmpty(os.Codename))
                {
                    json.WriteStartArray("properties");
                    WriteProperty(json, "bollard:os:codename", os.Codename);
                    json.WriteEndArray();
                }
                json.WriteEndObject();
            }
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var package in SbomDocument.Ordered(inventory))
            {
                string bomRef = package.Purl;
                int occurrence = seen.TryGetValue(package.Purl, out int n) ? n + 1 : 0;
                seen[package.Purl] = occurrence;
                if (occurrence > 0 || refs.Contains(bomRef, StringComparer.Ordinal))
                    bomRef = $"{package.Purl}#{SbomDocument.ShortHash(package, occurrence)}";
                refs.Add(bomRef);
                WritePackage(json, package, bomRef);
            }
            json.WriteEndArray();

            json.WriteStartArray("dependencies");
            json.WriteStartObject();
            json.WriteString("ref", imageRef);
            json.WriteStartArray("dependsOn");
            foreach (string r in refs.Distinct(StringComparer.Ordinal)) json.WriteStringValue(r);
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();

            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteImage(Utf8JsonWriter json, ImageInventory inventory, SbomSubject subject, string imageRef)
    {
        json.WriteStartObject("component");
        json.WriteString("type", "container");
        json.WriteString("bom-ref", imageRef);
        json.WriteString("name", subject.Repository);
        json.WriteString("version", subject.ManifestDigest);
        if (SbomDocument.Sha256Hex(subject.ManifestDigest) is { } hex)
        {
            json.WriteStartArray("hashes");
            json.WriteStartObject();
            json.WriteString("alg", "SHA-256");
            json.WriteString("content", hex);
            json.WriteEndObject();
            json.WriteEndArray();
        }
        json.WriteString("purl", imageRef);
        json.WriteStartArray("properties");
        if (!string.IsNullOrEmpty(subject.Tag)) WriteProperty(json, "bollard:image:tag", subject.Tag);
        if (!string.IsNullOrEmpty(inventory.Platform)) WriteProperty(json, "bollard:image:platform", inventory.Platform);
        for (int i = 0; i < inventory.Layers.Count; i++)
        {
            var layer = inventory.Layers[i];
            WriteProperty(json, "bollard:image:layer", $"{i.ToString(CultureInfo.InvariantCulture)} {layer.Digest}");
            if (!string.IsNullOrEmpty(layer.CreatedBy))
                WriteProperty(json, "bollard:image:layer:created-by", $"{i.ToString(CultureInfo.InvariantCulture)} {layer.CreatedBy}");
        }
        WriteProperty(json, "bollard:engine:version", inventory.EngineVersion.ToString(CultureInfo.InvariantCulture));
        foreach (string warning in inventory.Warnings) WriteProperty(json, "bollard:warning", warning);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WritePackage(Utf8JsonWriter json, ScanPackage package, string bomRef)
    {
        json.WriteStartObject();
        json.WriteString("type", "library");
        json.WriteString("bom-ref", bomRef);
        (string? group, string name) = SplitName(package);
        if (group is not null) json.WriteString("group", group);
        json.WriteString("name", name);
        json.WriteString("version", package.Version);
        WriteLicenses(json, package.Licenses);
        json.WriteString("purl", package.Purl);

        json.WriteStartObject("evidence");
        json.WriteStartArray("occurrences");
        json.WriteStartObject();
        json.WriteString("location", package.Path);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteStartArray("properties");
        WriteProperty(json, "bollard:package:type", package.Type);
        WriteProperty(json, "bollard:package:path", package.Path);
        if (!string.IsNullOrEmpty(package.LayerDigest)) WriteProperty(json, "bollard:layer:digest", package.LayerDigest);
        if (!string.IsNullOrEmpty(package.SourceName)) WriteProperty(json, "bollard:package:source-name", package.SourceName);
        if (!string.IsNullOrEmpty(package.SourceVersion)) WriteProperty(json, "bollard:package:source-version", package.SourceVersion);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>
    /// CycloneDX's licence choice: one <c>expression</c> when the declared licences form a valid SPDX expression
    /// that is not a single listed id; else one <c>license</c> per declared licence, by <c>id</c> when it is a
    /// listed SPDX id and by <c>name</c> otherwise.
    /// </summary>
    private static void WriteLicenses(Utf8JsonWriter json, IReadOnlyList<string> licenses)
    {
        var declared = licenses.Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => l.Trim()).Distinct(StringComparer.Ordinal).ToList();
        if (declared.Count == 0) return;
        json.WriteStartArray("licenses");
        if (SbomDocument.Expression(declared) is { } expression && !SpdxLicenses.IsSingleListedId(expression)
            && !declared.All(l => SpdxLicenses.CanonicalId(l) is not null))
        {
            json.WriteStartObject();
            json.WriteString("expression", expression);
            json.WriteEndObject();
        }
        else
        {
            foreach (string license in declared)
            {
                json.WriteStartObject();
                json.WriteStartObject("license");
                if (SpdxLicenses.CanonicalId(license) is { } id) json.WriteString("id", id);
                else json.WriteString("name", license);
                json.WriteEndObject();
                json.WriteEndObject();
            }
        }
        json.WriteEndArray();
    }

    /// <summary>Maven <c>group:artifact</c> and scoped npm <c>@scope/name</c> have a CycloneDX group; other names are written whole.</summary>
    private static (string? Group, string Name) SplitName(ScanPackage package)
    {
        if (package.Type == PackageTypes.Maven && package.Name.IndexOf(':', StringComparison.Ordinal) is int colon and > 0 && colon < package.Name.Length - 1)
            return (package.Name[..colon], package.Name[(colon + 1)..]);
        if (package.Type == PackageTypes.Npm && package.Name.StartsWith('@') && package.Name.IndexOf('/', StringComparison.Ordinal) is int slash and > 1 && slash < package.Name.Length - 1)
            return (package.Name[..slash], package.Name[(slash + 1)..]);
        return (null, package.Name);
    }

    private static void WriteProperty(Utf8JsonWriter json, string name, string value)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("value", value);
        json.WriteEndObject();
    }
}
