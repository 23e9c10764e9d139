using Bollard.Core.Scanning;
using Bollard.Scanning.Tests.Sbom;

namespace Bollard.Scanning.Tests.Reports;

/// <summary>Findings of the sample inventory as the matcher reports them (real advisories of those packages), every status and severity.</summary>
internal static class SampleFindings
{
    public static IReadOnlyList<Finding> All() =>
    [
        F("CVE-2023-5678", "debian", PackageTypes.Deb, "libssl3", "3.0.11-1~deb12u2", "3.0.13-1~deb12u1", Severities.Medium, null, null, FindingStatus.Affected,
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", "/var/lib/dpkg/status", SampleInventories.Layer0),
        F("CVE-2010-4756", "debian", PackageTypes.Deb, "libc6", "2.36-9+deb12u4", null, Severities.Negligible, null, null, FindingStatus.Unfixed,
            "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12", "/var/lib/dpkg/status", SampleInventories.Layer0),
        F("GHSA-p6mc-m468-83gw", "ghsa", PackageTypes.Npm, "lodash", "4.17.15", "4.17.19", Severities.High, 7.4, "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H", FindingStatus.Affected,
            "pkg:npm/lodash@4.17.15", "/app/package-lock.json", SampleInventories.Layer1, ["CVE-2020-8203"], "Prototype Pollution in lodash"),
        F("GHSA-vh95-rmgr-6w4m", "ghsa", PackageTypes.Npm, "minimist", "1.2.0", "1.2.3", Severities.Medium, 5.6, "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L", FindingStatus.Affected,
            "pkg:npm/minimist@1.2.0", "/app/package-lock.json", SampleInventories.Layer1, ["CVE-2020-7598"], "Prototype Pollution in minimist"),
        F("GHSA-5crp-9r3c-p9vr", "ghsa", PackageTypes.NuGet, "Newtonsoft.Json", "12.0.1", "13.0.1", Severities.High, 7.5, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", FindingStatus.Affected,
            "pkg:nuget/Newtonsoft.Json@12.0.1", "/app/App.deps.json", SampleInventories.Layer1, ["CVE-2024-21907"], "Improper Handling of Exceptional Conditions in Newtonsoft.Json"),
        F("GHSA-jfh8-c2jp-5v3q", "ghsa", PackageTypes.Maven, "org.apache.logging.log4j:log4j-core", "2.14.1", "2.15.0", Severities.Critical, 10.0, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", FindingStatus.Affected,
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "/app/app.war!/WEB-INF/lib/log4j-core-2.14.1.jar", SampleInventories.Layer1, ["CVE-2021-44228"], "Remote code injection in Log4j"),
        F("GO-2023-2102", "osv", PackageTypes.Golang, "golang.org/x/net", "v0.17.0", null, Severities.Unknown, null, null, FindingStatus.Unfixed,
            "pkg:golang/golang.org/x/net@v0.17.0", "/usr/local/bin/app", SampleInventories.Layer1, ["CVE-2023-39325"], null),
        F("GHSA-29mw-wpgm-hmr9", "ghsa", PackageTypes.Npm, "lodash", "4.17.15", "4.17.21", Severities.Low, 3.1, null, FindingStatus.NotAffected,
            "pkg:npm/lodash@4.17.15", "/app/package-lock.json", SampleInventories.Layer1, ["CVE-2020-28500"], "ReDoS in lodash", "vulnerable_code_not_in_execute_path"),
        F("GHSA-35jh-r3h4-6jhm", "ghsa", PackageTypes.Npm, "lodash", "4.17.15", "4.17.21", Severities.High, 7.2, null, FindingStatus.Excepted,
            "pkg:npm/lodash@4.17.15", "/app/package-lock.json", SampleInventories.Layer1, ["CVE-2021-23337"], "Command Injection in lodash", "accepted until 2026-12-31"),
    ];

    private static Finding F(string id, string source, string type, string name, string installed, string? fixedVersion, string severity, double? score, string? vector,
        FindingStatus status, string purl, string path, string? layer, string[]? aliases = null, string? summary = null, string? reason = null) => new()
        {
            AdvisoryId = id,
            Aliases = aliases ?? [],
            Source = source,
            PackageType = type,
            PackageName = name,
            InstalledVersion = installed,
            FixedVersion = fixedVersion,
            Severity = severity,
            CvssScore = score,
            CvssVector = vector,
            Summary = summary,
            Purl = purl,
            Path = path,
            LayerDigest = layer,
            Status = status,
            StatusReason = reason,
        };
}
