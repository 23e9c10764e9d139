namespace Bollard.Core.Scanning.Advisories;

/// <summary>The values of <see cref="AdvisorySeverity.Kind"/>.</summary>
public static class AdvisorySeverityKinds
{
    public const string CvssV2 = "CVSS_V2";
    public const string CvssV3 = "CVSS_V3";
    public const string CvssV4 = "CVSS_V4";

    /// <summary>A rating word of the source itself (GHSA severity, Debian urgency, ...): <see cref="AdvisorySeverity.Rating"/>.</summary>
    public const string Rating = "rating";
}
