using Bollard.Core.Scanning;

namespace Bollard.Scanning.Tests.Matching;

/// <summary>
/// Inventories from the real package databases in vulndata (the dpkg <c>status</c> of a debootstrap'd bookworm, apk
/// <c>installed</c> files), read here with a minimal stanza reader: the layer analyzers that read them in images are
/// another helper's and are tested there; these tests are about matching.
/// </summary>
internal static class TestInventories
{
    public static readonly OsInfo Bookworm = new("debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)");

    /// <summary>Installed packages of a dpkg status file; <paramref name="versions"/> replaces versions by package name (downgrades that make positives).</summary>
    public static ImageInventory Dpkg(string statusFile, OsInfo? os, IReadOnlyDictionary<string, string>? versions = null)
    {
        var packages = new List<ScanPackage>();
        foreach (var stanza in Stanzas(File.ReadAllText(statusFile), ':'))
        {
            if (!stanza.TryGetValue("Package", out string? name) || !stanza.TryGetValue("Version", out string? version)) continue;
            if (stanza.TryGetValue("Status", out string? status) && !status.EndsWith(" installed", StringComparison.Ordinal)) continue;
            string? source = null, sourceVersion = null;
            if (stanza.TryGetValue("Source", out string? src))
            {
                var parts = src.Split(' ', 2);
                source = parts[0];
                if (parts.Length > 1) sourceVersion = parts[1].Trim('(', ')', ' ');
            }
            if (versions is not null && versions.TryGetValue(name, out string? replaced))
            {
                version = replaced;
                sourceVersion = null;
            }
            packages.Add(new ScanPackage
            {
                Type = PackageTypes.Deb, Name = name, Version = version, SourceName = source ?? name, SourceVersion = sourceVersion,
                Purl = $"pkg:deb/debian/{name}@{version}?distro=debian-12", Path = "/var/lib/dpkg/status", LayerDigest = "sha256:base",
            });
        }
        return Inventory(packages, os);
    }

    public static ImageInventory Apk(string installedFile, OsInfo? os, IReadOnlyDictionary<string, string>? versions = null)
    {
        var packages = new List<ScanPackage>();
        foreach (var stanza in Stanzas(File.ReadAllText(installedFile), ':', singleLetter: true))
        {
            if (!stanza.TryGetValue("P", out string? name) || !stanza.TryGetValue("V", out string? version)) continue;
            if (versions is not null && versions.TryGetValue(name, out string? replaced)) version = replaced;
            packages.Add(new ScanPackage
            {
                Type = PackageTypes.Apk, Name = name, Version = version, SourceName = stanza.GetValueOrDefault("o") ?? name,
                Purl = $"pkg:apk/{os?.Id ?? "alpine"}/{name}@{version}", Path = "/lib/apk/db/installed", LayerDigest = "sha256:base",
            });
        }
        return Inventory(packages, os);
    }

    public static ImageInventory Language(string type, params (string Name, string Version)[] packages) =>
        Inventory(packages.Select(p => Package(type, p.Name, p.Version)).ToList(), null);

    public static ScanPackage Package(string type, string name, string version) => new()
    {
        Type = type, Name = name, Version = version, Purl = $"pkg:{type}/{name}@{version}", Path = "/app/lock", LayerDigest = "sha256:app",
    };

    public static ImageInventory Inventory(IReadOnlyList<ScanPackage> packages, OsInfo? os) => new()
    {
        ManifestDigest = "sha256:" + new string('0', 64),
        Os = os,
        Packages = packages,
        Layers = [],
    };

    public static OsInfo OsRelease(string file)
    {
        var values = File.ReadAllLines(file).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim('"'));
        return new OsInfo(values["ID"], values.GetValueOrDefault("VERSION_ID"), values.GetValueOrDefault("VERSION_CODENAME"), values.GetValueOrDefault("PRETTY_NAME"));
    }

    private static IEnumerable<Dictionary<string, string>> Stanzas(string text, char separator, bool singleLetter = false)
    {
        var current = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                if (current.Count > 0) yield return current;
                current = new Dictionary<string, string>(StringComparer.Ordinal);
                continue;
            }
            if (char.IsWhiteSpace(line[0])) continue;
            int i = line.IndexOf(separator, StringComparison.Ordinal);
            if (i <= 0 || (singleLetter && i != 1)) continue;
            current.TryAdd(line[..i], line[(i + 1)..].Trim());
        }
        if (current.Count > 0) yield return current;
    }
}
