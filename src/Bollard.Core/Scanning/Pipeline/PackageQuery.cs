namespace Bollard.Core.Scanning.Pipeline;

/// <summary>
/// What the packages query looks for: a purl without version (<c>pkg:maven/org.apache.logging.log4j/log4j-core</c>; a
/// version in it is matched exactly), or a type and name. The version range is applied by the caller with the
/// ecosystem's version order, so the store returns every version of the package.
/// </summary>
public sealed record PackageQuery
{
    /// <summary>The purl without <c>@version</c>, qualifiers and subpath (<see cref="ScanPurls.Base"/>).</summary>
    public string? PurlBase { get; init; }

    public string? Type { get; init; }

    public string? Name { get; init; }

    /// <summary>Only this exact version, when set.</summary>
    public string? Version { get; init; }

    /// <summary>Only hits after this one in the store's order (keyset paging: the <see cref="PackageHit.Cursor"/> of a page's last hit).</summary>
    public PackageCursor After { get; init; }

    /// <summary>At most this many rows (the caller asks one more to know whether it was cut).</summary>
    public int Limit { get; init; } = 1000;
}
