using Bollard.Core.Scanning;
using Bollard.Scanning.Advisories.Import;

namespace Bollard.Scanning.Matching;

/// <summary>The release OS advisories are keyed by, from an image's <see cref="OsInfo"/>.</summary>
public static class OsRelease
{
    /// <summary>
    /// Debian and Ubuntu: <c>VERSION_CODENAME</c>, else the codename of <c>VERSION_ID</c>'s major (<c>12</c> →
    /// <c>bookworm</c>). Alpine: the branch of <c>VERSION_ID</c> (<c>3.18.4</c> → <c>3.18</c>). Wolfi (and
    /// Chainguard, built from it): none, it is rolling. <paramref name="known"/> is false when the image's OS packages
    /// cannot be matched (no os-release, an Alpine without a version, a distribution Bollard has no data for).
    /// </summary>
    public static string? For(OsInfo? os, string packageType, out bool known)
    {
        known = false;
        if (os is null) return null;
        string id = os.Id.ToLowerInvariant();
        switch (packageType)
        {
            case PackageTypes.Deb when id is "debian" or "ubuntu":
                string? codename = string.IsNullOrWhiteSpace(os.Codename) ? null : os.Codename.Trim().ToLowerInvariant();
                if (codename is null && id == "debian" && os.VersionId is { } v && OsvEcosystems.DebianCodenames.TryGetValue(v.Split('.')[0].Trim(), out var c)) codename = c;
                known = codename is not null;
                return codename;
            case PackageTypes.Apk when id == "alpine":
                string? branch = OsvEcosystems.AlpineBranch(os.VersionId);
                known = branch is not null;
                return branch;
            case PackageTypes.Apk when id is "wolfi" or "chainguard":
                known = true;
                return null;
            default:
                return null;
        }
    }
}
