namespace Bollard.Core.Scanning;

/// <summary>
/// One advisory matched to one package of one image (design.md "finding"). Computed from a stored
/// <see cref="ImageInventory"/> and the advisory database only, so it is recomputed after every advisory import.
/// </summary>
public sealed record Finding
{
    /// <summary>The advisory's own id (<c>GHSA-...</c>, <c>CVE-...</c>, <c>DSA-...</c>, <c>GO-...</c>, <c>PYSEC-...</c>).</summary>
    public required string AdvisoryId { get; init; }

    /// <summary>Other ids of the same vulnerability (CVE and GHSA aliases).</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>Where the advisory came from (<c>osv</c>, <c>debian</c>, <c>alpine</c>, <c>wolfi</c>, <c>ghsa</c>).</summary>
    public required string Source { get; init; }

    public required string PackageType { get; init; }

    public required string PackageName { get; init; }

    public required string InstalledVersion { get; init; }

    /// <summary>First fixed version, null when no fix exists (then <see cref="Status"/> is <see cref="FindingStatus.Unfixed"/>).</summary>
    public string? FixedVersion { get; init; }

    /// <summary><c>critical</c>, <c>high</c>, <c>medium</c>, <c>low</c>, <c>negligible</c> or <c>unknown</c> (<see cref="Severities"/>): the distribution's own rating for OS packages, else from CVSS.</summary>
    public required string Severity { get; init; }

    public double? CvssScore { get; init; }

    /// <summary>The CVSS vector (<c>CVSS:3.1/AV:N/...</c> or <c>CVSS:4.0/...</c>) the score came from.</summary>
    public string? CvssVector { get; init; }

    public string? Summary { get; init; }

    public required string Purl { get; init; }

    /// <summary>The file and layer of the package (from its <see cref="ScanPackage"/>).</summary>
    public required string Path { get; init; }

    public string? LayerDigest { get; init; }

    public required FindingStatus Status { get; init; }

    /// <summary>Why the status is what it is when it is not plain affected: the VEX justification, the exception's reason, the distro's note.</summary>
    public string? StatusReason { get; init; }
}
