namespace Bollard.Core.Scanning;

/// <summary>The package-URL types Bollard inventories; they are also the ecosystem keys of advisories and version schemes.</summary>
public static class PackageTypes
{
    public const string Deb = "deb";
    public const string Apk = "apk";
    public const string Rpm = "rpm";
    public const string Npm = "npm";
    public const string NuGet = "nuget";
    public const string PyPI = "pypi";
    public const string Golang = "golang";
    public const string Maven = "maven";
    public const string Gem = "gem";
    public const string Cargo = "cargo";
}
