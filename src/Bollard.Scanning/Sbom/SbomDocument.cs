using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Bollard.Core.Scanning;

namespace Bollard.Scanning.Sbom;

/// <summary>What both SBOM writers share: package order, stable ids, the tool's identity, licence sorting.</summary>
internal static class SbomDocument
{
    public const string ToolName = "bollard";

    /// <summary>The engine's release (assembly informational version without the build metadata) and its analyzer version.</summary>
    public static string ToolVersion { get; } = ReadToolVersion();

    public static JsonWriterOptions WriterOptions { get; } = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Packages in a stable order (type, name, version, path, purl), whatever order the analyzers found them in.</summary>
    public static IReadOnlyList<ScanPackage> Ordered(ImageInventory inventory) =>
        [.. inventory.Packages
            .OrderBy(p => p.Type, StringComparer.Ordinal)
            .ThenBy(p => p.Name, StringComparer.Ordinal)
            .ThenBy(p => p.Version, StringComparer.Ordinal)
            .ThenBy(p => p.Path, StringComparer.Ordinal)
            .ThenBy(p => p.Purl, StringComparer.Ordinal)
            .ThenBy(p => p.LayerDigest, StringComparer.Ordinal)];

    /// <summary>A short stable hash of a package's identity in the image (purl, file, layer): unique ids without counters.</summary>
    public static string ShortHash(ScanPackage package, int occurrence)
    {
        string key = $"{package.Purl}\n{package.Path}\n{package.LayerDigest}\n{occurrence.ToString(CultureInfo.InvariantCulture)}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 8));
    }

    /// <summary>A name-based UUID (RFC 9562 version 8 layout over SHA-256) of the subject and the engine: the same image and engine give the same serial number.</summary>
    public static Guid StableUuid(string kind, SbomSubject subject, ImageInventory inventory)
    {
        string key = $"{kind}\n{subject.Repository}\n{subject.Tag}\n{subject.ManifestDigest}\n{inventory.EngineVersion.ToString(CultureInfo.InvariantCulture)}\n{ToolVersion}";
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        byte[] bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>The creation time, to the second, in UTC (<c>2025-06-01T12:00:00Z</c>), as both formats want it.</summary>
    public static string Timestamp(TimeProvider time) =>
        time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The hex of a <c>sha256:...</c> digest, or null for another algorithm.</summary>
    public static string? Sha256Hex(string digest) =>
        digest.StartsWith("sha256:", StringComparison.Ordinal) && digest.Length == 71 ? digest[7..] : null;

    /// <summary>
    /// The declared licences as one SPDX expression when every one is a valid expression (several are joined with
    /// <c>AND</c>, each in parentheses when compound); null when any is free text.
    /// </summary>
    public static string? Expression(IReadOnlyList<string> licenses)
    {
        if (licenses.Count == 0) return null;
        var parts = new List<string>();
        foreach (string license in licenses.Distinct(StringComparer.Ordinal))
        {
            if (SpdxLicenses.Normalize(license) is not { } normalized) return null;
            if (!parts.Contains(normalized, StringComparer.Ordinal)) parts.Add(normalized);
        }
        return parts.Count == 1 ? parts[0] : string.Join(" AND ", parts.Select(p => p.Contains(' ', StringComparison.Ordinal) ? $"({p})" : p));
    }

    private static string ReadToolVersion()
    {
        string? version = typeof(SbomDocument).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(version)) version = "0.0.0";
        int plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? version[..plus] : version;
    }
}
