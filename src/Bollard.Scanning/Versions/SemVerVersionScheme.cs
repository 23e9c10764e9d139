using Bollard.Core.Scanning;

namespace Bollard.Scanning.Versions;

/// <summary>
/// Semantic Versioning 2.0.0 order for npm and Cargo (node-semver and the semver crate agree on precedence):
/// <c>MAJOR.MINOR.PATCH[-pre][+build]</c>, pre-releases below the release, build metadata ignored. Read leniently
/// (see <see cref="SemanticVersion"/>): a leading <c>v</c> or <c>=</c> as npm accepts, missing components as 0.
/// </summary>
public sealed class SemVerVersionScheme(string packageType) : IVersionScheme
{
    public static SemVerVersionScheme Npm { get; } = new(PackageTypes.Npm);

    public static SemVerVersionScheme Cargo { get; } = new(PackageTypes.Cargo);

    public string PackageType { get; } = packageType;

    public bool IsValid(string version) => SemanticVersion.TryParse(version, out _, out _);

    public int Compare(string left, string right) => Parse(left).CompareTo(Parse(right));

    internal static SemanticVersion Parse(string version) =>
        SemanticVersion.TryParse(version, out var v, out string? error) ? v : throw VersionText.Invalid("semantic", version, error!);
}
