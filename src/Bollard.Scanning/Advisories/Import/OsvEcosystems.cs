using Bollard.Core.Scanning;

namespace Bollard.Scanning.Advisories.Import;

/// <summary>OSV ecosystem names (<c>affected[].package.ecosystem</c>) to package-URL type and release.</summary>
public static class OsvEcosystems
{
    /// <summary>Debian major version to codename (OSV writes <c>Debian:12</c>, inventories see <c>bookworm</c>).</summary>
    public static IReadOnlyDictionary<string, string> DebianCodenames { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["7"] = "wheezy", ["8"] = "jessie", ["9"] = "stretch", ["10"] = "buster", ["11"] = "bullseye", ["12"] = "bookworm",
        ["13"] = "trixie", ["14"] = "forky", ["15"] = "duke",
    };

    /// <summary>The type and release of an ecosystem, or false when Bollard does not know it (the caller warns).</summary>
    public static bool TryMap(string? ecosystem, out string type, out string? release)
    {
        type = "";
        release = null;
        if (string.IsNullOrWhiteSpace(ecosystem)) return false;
        string name = ecosystem;
        string? suffix = null;
        int colon = ecosystem.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            name = ecosystem[..colon];
            suffix = ecosystem[(colon + 1)..];
        }
        switch (name)
        {
            case "Go": type = PackageTypes.Golang; return suffix is null;
            case "PyPI": type = PackageTypes.PyPI; return suffix is null;
            case "npm": type = PackageTypes.Npm; return suffix is null;
            case "NuGet": type = PackageTypes.NuGet; return suffix is null;
            case "Maven": type = PackageTypes.Maven; return true; // Maven:<repository url> is the same coordinates
            case "RubyGems": type = PackageTypes.Gem; return suffix is null;
            case "crates.io": type = PackageTypes.Cargo; return suffix is null;
            case "Wolfi": type = PackageTypes.Apk; return suffix is null;
            case "Debian":
                type = PackageTypes.Deb;
                if (suffix is null) return false;
                string major = suffix.Split('.')[0];
                if (!DebianCodenames.TryGetValue(major, out release)) return false;
                return true;
            case "Alpine":
                type = PackageTypes.Apk;
                release = AlpineBranch(suffix);
                return release is not null;
            default:
                return false;
        }
    }

    /// <summary><c>v3.18</c>, <c>3.18</c> or <c>3.18.4</c> to the branch <c>3.18</c>; <c>edge</c> stays <c>edge</c>; null when not a version.</summary>
    public static string? AlpineBranch(string? version)
    {
        if (string.IsNullOrWhiteSpace(version)) return null;
        string v = version.Trim().TrimStart('v');
        if (v == "edge") return v;
        var parts = v.Split('.');
        return parts.Length >= 2 && parts[0].All(char.IsAsciiDigit) && parts[0].Length > 0 && parts[1].Length > 0 && parts[1].All(char.IsAsciiDigit)
            ? $"{parts[0]}.{parts[1]}" : null;
    }
}
