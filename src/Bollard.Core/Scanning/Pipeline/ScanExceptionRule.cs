using Bollard.Core.Auth;

namespace Bollard.Core.Scanning.Pipeline;

/// <summary>
/// An exception: findings of <see cref="AdvisoryId"/> (matched against the finding's id and its aliases) are shown as
/// <see cref="FindingStatus.Excepted"/> in repositories matching <see cref="Namespace"/>, only for
/// <see cref="ImageDigest"/> and <see cref="Package"/> when set, until <see cref="ExpiresAt"/>.
/// <see cref="Id"/> is 0 until stored.
/// </summary>
public sealed record ScanExceptionRule
{
    public long Id { get; init; }

    public required string AdvisoryId { get; init; }

    public required NamespacePattern Namespace { get; init; }

    public string? ImageDigest { get; init; }

    /// <summary>A package name (<c>openssl</c>, <c>org.apache.logging.log4j:log4j-core</c>), or <c>type/name</c> (<c>deb/openssl</c>).</summary>
    public string? Package { get; init; }

    public required string Reason { get; init; }

    /// <summary>Who answers for it (a person or team, as the creator wrote it).</summary>
    public required string Owner { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    public string CreatedBy { get; init; } = "";

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Does it hide <paramref name="finding"/> of image <paramref name="digest"/> in <paramref name="repository"/> at <paramref name="now"/>?</summary>
    public bool Applies(Finding finding, string repository, string digest, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(finding);
        if (now >= ExpiresAt) return false;
        if (!string.Equals(finding.AdvisoryId, AdvisoryId, StringComparison.OrdinalIgnoreCase)
            && !finding.Aliases.Any(a => string.Equals(a, AdvisoryId, StringComparison.OrdinalIgnoreCase))) return false;
        if (ImageDigest is not null && ImageDigest != digest) return false;
        if (Package is not null && Package != finding.PackageName && Package != $"{finding.PackageType}/{finding.PackageName}") return false;
        return Namespace.Matches(repository);
    }
}
