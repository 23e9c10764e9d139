using System.Globalization;
using System.Text;
using System.Text.Json;
using Bollard.Core.Scanning;

namespace Bollard.Scanning.Sbom;

/// <summary>
/// SPDX 2.3 JSON (<c>spdx-schema.json</c>) of one image. <c>documentDescribes</c> names the image package
/// (purpose <c>CONTAINER</c>, its digest as version and SHA-256 checksum, purl <c>pkg:oci/name@sha256%3A...</c>);
/// the image <c>CONTAINS</c> the distribution (purpose <c>OPERATING_SYSTEM</c>) and every package (purl external
/// reference, <c>licenseDeclared</c> an SPDX expression when valid, else <c>LicenseRef-</c> ids declared in
/// <c>hasExtractedLicensingInfos</c> with the text as written, <c>NOASSERTION</c> when none is declared). The file a
/// package was read from is its <c>sourceInfo</c>; the layer that introduced it is an annotation
/// <c>bollard:layer:digest=sha256:...</c>. The namespace is derived from the subject and the engine and the
/// creation time comes from the injected clock: everything else is the same bytes for the same inventory.
/// </summary>
public sealed class SpdxWriter(TimeProvider time) : ISbomWriter
{
    public const string FormatName = "spdx";
    public const string MediaTypeName = "application/spdx+json";
    private const string ImageId = "SPDXRef-Image";
    private const string OsId = "SPDXRef-OperatingSystem";

    public string Format => FormatName;

    public string MediaType => MediaTypeName;

    public byte[] Write(ImageInventory inventory, SbomSubject subject)
    {
        string created = SbomDocument.Timestamp(time);
        string tool = $"Tool: {SbomDocument.ToolName}-{SbomDocument.ToolVersion}";
        var packages = SbomDocument.Ordered(inventory);
        var extracted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var contained = new List<string>();

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, SbomDocument.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("spdxVersion", "SPDX-2.3");
            json.WriteString("dataLicense", "CC0-1.0");
            json.WriteString("SPDXID", "SPDXRef-DOCUMENT");
            json.WriteString("name", subject.DisplayName);
            json.WriteString("documentNamespace", $"https://spdx.org/spdxdocs/bollard/{Uri.EscapeDataString(subject.Repository)}-{SbomDocument.StableUuid(FormatName, subject, inventory):D}");
            json.WriteStartObject("creationInfo");
            json.WriteString("created", created);
            json.WriteStartArray("creators");
            json.WriteStringValue(tool);
            json.WriteEndArray();
            json.WriteString("licenseListVersion", "3.29");
            json.WriteEndObject();
            json.WriteStartArray("documentDescribes");
            json.WriteStringValue(ImageId);
            json.WriteEndArray();

            json.WriteStartArray("packages");
            WriteImage(json, inventory, subject, created, tool);
            if (inventory.Os is { } os)
            {
                contained.Add(OsId);
                json.WriteStartObject();
                json.WriteString("SPDXID", OsId);
                json.WriteString("name", os.Id);
                if (!string.IsNullOrEmpty(os.VersionId)) json.WriteString("versionInfo", os.VersionId);
                if (!string.IsNullOrEmpty(os.PrettyName)) json.WriteString("description", os.PrettyName);
                WriteNoAssertions(json);
                json.WriteString("primaryPackagePurpose", "OPERATING_SYSTEM");
                json.WriteEndObject();
            }
            var occurrences = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var package in packages)
            {
                string key = $"{package.Purl}\n{package.Path}\n{package.LayerDigest}";
                int occurrence = occurrences.TryGetValue(key, out int n) ? n + 1 : 0;
                occurrences[key] = occurrence;
                string id = PackageId(package, occurrence);
                contained.Add(id);
                WritePackage(json, package, id, created, tool, extracted);
            }
            json.WriteEndArray();

            if (extracted.Count > 0)
            {
                json.WriteStartArray("hasExtractedLicensingInfos");
                foreach (var (licenseId, text) in extracted)
                {
                    json.WriteStartObject();
                    json.WriteString("licenseId", licenseId);
                    json.WriteString("name", text);
                    json.WriteString("extractedText", text);
                    json.WriteString("comment", text == licenseId
                        ? "The package declares this licence reference; its text is not in the package metadata."
                        : "The licence as the package declares it; not an SPDX licence list id or expression.");
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }

            json.WriteStartArray("relationships");
            WriteRelationship(json, "SPDXRef-DOCUMENT", "DESCRIBES", ImageId);
            foreach (string id in contained) WriteRelationship(json, ImageId, "CONTAINS", id);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteImage(Utf8JsonWriter json, ImageInventory inventory, SbomSubject subject, string created, string tool)
    {
        json.WriteStartObject();
        json.WriteString("SPDXID", ImageId);
        json.WriteString("name", subject.Repository);
        json.WriteString("versionInfo", subject.ManifestDigest);
        WriteNoAssertions(json);
        if (SbomDocument.Sha256Hex(subject.ManifestDigest) is { } hex)
        {
            json.WriteStartArray("checksums");
            json.WriteStartObject();
            json.WriteString("algorithm", "SHA256");
            json.WriteString("checksumValue", hex);
            json.WriteEndObject();
            json.WriteEndArray();
        }
        json.WriteStartArray("externalRefs");
        WritePurl(json, subject.Purl);
        json.WriteEndArray();
        json.WriteString("primaryPackagePurpose", "CONTAINER");
        var notes = new List<string>();
        if (!string.IsNullOrEmpty(subject.Tag)) notes.Add($"bollard:image:tag={subject.Tag}");
        if (!string.IsNullOrEmpty(inventory.Platform)) notes.Add($"bollard:image:platform={inventory.Platform}");
        for (int i = 0; i < inventory.Layers.Count; i++)
        {
            var layer = inventory.Layers[i];
            string index = i.ToString(CultureInfo.InvariantCulture);
            notes.Add($"bollard:image:layer={index} {layer.Digest}");
            if (!string.IsNullOrEmpty(layer.CreatedBy)) notes.Add($"bollard:image:layer:created-by={index} {layer.CreatedBy}");
        }
        notes.Add($"bollard:engine:version={inventory.EngineVersion.ToString(CultureInfo.InvariantCulture)}");
        notes.AddRange(inventory.Warnings.Select(w => $"bollard:warning={w}"));
        WriteAnnotations(json, notes, created, tool);
        json.WriteEndObject();
    }

    private static void WritePackage(Utf8JsonWriter json, ScanPackage package, string id, string created, string tool, SortedDictionary<string, string> extracted)
    {
        json.WriteStartObject();
        json.WriteString("SPDXID", id);
        json.WriteString("name", package.Name);
        json.WriteString("versionInfo", package.Version);
        json.WriteString("downloadLocation", "NOASSERTION");
        json.WriteBoolean("filesAnalyzed", false);
        json.WriteString("licenseConcluded", "NOASSERTION");
        json.WriteString("licenseDeclared", DeclaredLicense(package.Licenses, extracted));
        json.WriteString("copyrightText", "NOASSERTION");
        json.WriteString("sourceInfo", $"acquired package info from {package.Path}");
        json.WriteStartArray("externalRefs");
        WritePurl(json, package.Purl);
        json.WriteEndArray();
        json.WriteString("primaryPackagePurpose", "LIBRARY");
        var notes = new List<string> { $"bollard:package:type={package.Type}", $"bollard:package:path={package.Path}" };
        if (!string.IsNullOrEmpty(package.LayerDigest)) notes.Add($"bollard:layer:digest={package.LayerDigest}");
        if (!string.IsNullOrEmpty(package.SourceName)) notes.Add($"bollard:package:source-name={package.SourceName}");
        if (!string.IsNullOrEmpty(package.SourceVersion)) notes.Add($"bollard:package:source-version={package.SourceVersion}");
        WriteAnnotations(json, notes, created, tool);
        json.WriteEndObject();
    }

    /// <summary>An SPDX expression for the declared licences; free text becomes a <c>LicenseRef-</c> declared in <paramref name="extracted"/>.</summary>
    private static string DeclaredLicense(IReadOnlyList<string> licenses, SortedDictionary<string, string> extracted)
    {
        var declared = licenses.Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => l.Trim()).Distinct(StringComparer.Ordinal).ToList();
        if (declared.Count == 0) return "NOASSERTION";
        string result;
        if (SbomDocument.Expression(declared) is { } expression)
        {
            result = expression;
        }
        else
        {
            var parts = new List<string>();
            foreach (string license in declared)
            {
                string part = SpdxLicenses.Normalize(license) ?? RefFor(license, extracted);
                parts.Add(part.Contains(' ', StringComparison.Ordinal) ? $"({part})" : part);
            }
            result = string.Join(" AND ", parts.Distinct(StringComparer.Ordinal));
        }
        // A LicenseRef- the package itself declared must be declared in the document too; its text is not known.
        foreach (string reference in SpdxLicenses.LocalReferences(result))
            extracted.TryAdd(reference, reference);
        return result;
    }

    private static string RefFor(string license, SortedDictionary<string, string> extracted)
    {
        string id = SpdxLicenses.LicenseRef(license);
        // Two texts that sanitize to the same id get a distinguishing suffix (stable: derived from the text).
        if (extracted.TryGetValue(id, out string? existing) && existing != license)
            id += "-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(license)).AsSpan(0, 4));
        extracted[id] = license;
        return id;
    }

    /// <summary><c>SPDXRef-Package-{type}-{name}-{hash}</c>: the name reduced to SPDX id characters, the hash keeping it unique.</summary>
    private static string PackageId(ScanPackage package, int occurrence)
    {
        var id = new StringBuilder("SPDXRef-Package-").Append(package.Type).Append('-');
        foreach (char c in package.Name.Length > 64 ? package.Name[..64] : package.Name)
            id.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '-');
        return id.Append('-').Append(SbomDocument.ShortHash(package, occurrence)).ToString();
    }

    private static void WriteNoAssertions(Utf8JsonWriter json)
    {
        json.WriteString("downloadLocation", "NOASSERTION");
        json.WriteBoolean("filesAnalyzed", false);
        json.WriteString("licenseConcluded", "NOASSERTION");
        json.WriteString("licenseDeclared", "NOASSERTION");
        json.WriteString("copyrightText", "NOASSERTION");
    }

    private static void WritePurl(Utf8JsonWriter json, string purl)
    {
        json.WriteStartObject();
        json.WriteString("referenceCategory", "PACKAGE-MANAGER");
        json.WriteString("referenceType", "purl");
        json.WriteString("referenceLocator", purl);
        json.WriteEndObject();
    }

    private static void WriteAnnotations(Utf8JsonWriter json, List<string> comments, string created, string tool)
    {
        json.WriteStartArray("annotations");
        foreach (string comment in comments)
        {
            json.WriteStartObject();
            json.WriteString("annotationDate", created);
            json.WriteString("annotationType", "OTHER");
            json.WriteString("annotator", tool);
            json.WriteString("comment", comment);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static void WriteRelationship(Utf8JsonWriter json, string from, string type, string to)
    {
        json.WriteStartObject();
        json.WriteString("spdxElementId", from);
        json.WriteString("relationshipType", type);
        json.WriteString("relatedSpdxElement", to);
        json.WriteEndObject();
    }
}
