namespace Bollard.Scanning.Versions;

/// <summary>
/// One ecosystem's version order (issue 8: dpkg, apk, rpm, npm semver, NuGet, PEP 440, Maven, Go, RubyGems). Total
/// over the strings the ecosystem accepts; validated against <c>/work/shared/vulndata/versions/</c>. Get one with
/// <see cref="VersionSchemes.ForPackageType"/>.
/// </summary>
public interface IVersionScheme
{
    /// <summary>The package-URL type it orders (<see cref="Bollard.Core.Scanning.PackageTypes"/>).</summary>
    string PackageType { get; }

    /// <summary>Negative, zero or positive as <paramref name="left"/> is lower than, equal to or higher than <paramref name="right"/>.</summary>
    /// <exception cref="FormatException">A version the ecosystem cannot order (the caller turns it into a scan warning, never a crash).</exception>
    int Compare(string left, string right);

    /// <summary>Whether <see cref="Compare"/> accepts the version.</summary>
    bool IsValid(string version);
}
