namespace Bollard.Core.Scanning.Advisories;

/// <summary>The values of <see cref="Advisory.Source"/> (also <see cref="Finding.Source"/>).</summary>
public static class AdvisorySources
{
    public const string Osv = "osv";
    public const string Debian = "debian";
    public const string Alpine = "alpine";
    public const string Wolfi = "wolfi";
    public const string Ghsa = "ghsa";
}
