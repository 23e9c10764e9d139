namespace Bollard.Core.Scanning.Advisories;

/// <summary>
/// One advisory as Bollard stores it, whatever its origin (OSV, Debian security tracker, Alpine/Wolfi secdb, GitHub
/// advisories): every source is converted to this shape at import, so matching has one code path. Immutable; its
/// content hash (computed by the importer over the canonical JSON form) decides whether a re-import changed it.
/// </summary>
public sealed record Advisory
{
    /// <summary>The kind of source it came from: <c>osv</c>, <c>debian</c>, <c>alpine</c>, <c>wolfi</c>, <c>ghsa</c> (<see cref="AdvisorySources"/>).</summary>
    public required string Source { get; init; }

    /// <summary>The advisory's own id (<c>GO-2024-2687</c>, <c>GHSA-p6mc-m468-83gw</c>, <c>CVE-2023-4911</c>, <c>DSA-5514-1</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Other ids of the same vulnerability (CVE, GHSA, DSA/DLA, ...), without <see cref="Id"/>, sorted ordinally.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    public string? Summary { get; init; }

    public DateTimeOffset? Published { get; init; }

    public DateTimeOffset? Modified { get; init; }

    /// <summary>Set when the source withdrew the advisory: it is stored (so a re-import sees it) but never matched.</summary>
    public DateTimeOffset? Withdrawn { get; init; }

    /// <summary>The advisory-wide severities (CVSS vectors and scores, the GHSA severity word); per-release distribution ratings are on <see cref="AffectedPackage.Severity"/>.</summary>
    public IReadOnlyList<AdvisorySeverity> Severities { get; init; } = [];

    public IReadOnlyList<AffectedPackage> Affected { get; init; } = [];
}
