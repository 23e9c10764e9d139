using Bollard.Core.Scanning;

namespace Bollard.Scanning.Versions;

/// <summary>The version order of each ecosystem, keyed by package-URL type (<see cref="PackageTypes"/>).</summary>
public static class VersionSchemes
{
    private static readonly Dictionary<string, IVersionScheme> ByType = new IVersionScheme[]
    {
        DpkgVersionScheme.Instance,
        ApkVersionScheme.Instance,
        SemVerVersionScheme.Npm,
        SemVerVersionScheme.Cargo,
        GoVersionScheme.Instance,
        RpmVersionScheme.Instance,
        NuGetVersionScheme.Instance,
        Pep440VersionScheme.Instance,
        MavenVersionScheme.Instance,
        GemVersionScheme.Instance,
    }.ToDictionary(s => s.PackageType, StringComparer.OrdinalIgnoreCase);

    /// <returns>The scheme for a package-URL type (case-insensitive), or null for a type Bollard cannot order.</returns>
    public static IVersionScheme? ForPackageType(string type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return ByType.GetValueOrDefault(type);
    }

    /// <summary>Every scheme, one per package type.</summary>
    public static IReadOnlyCollection<IVersionScheme> All => ByType.Values;
}
