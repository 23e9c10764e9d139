using System.Text.Json.Serialization;

namespace Bollard.Core.Scanning.Advisories;

/// <summary>
/// The versions of one package an advisory affects, in one ecosystem and release.
/// <see cref="Type"/> is the package-URL type (<see cref="PackageTypes"/>); <see cref="Release"/> the distribution
/// release for OS packages (Debian codename <c>bookworm</c>, Alpine branch <c>3.18</c>; null for language ecosystems
/// and for Wolfi, which is rolling); <see cref="Name"/> the package as the ecosystem names it (the source package for
/// Debian, the origin for Alpine/Wolfi). A version is affected when it is in any of <see cref="Ranges"/> (each an
/// OSV-style event list, evaluated by the ecosystem's version order) or equal to one of <see cref="Versions"/>,
/// unless <see cref="Status"/> is <see cref="AffectedStatus.NotAffected"/>.
/// </summary>
public sealed record AffectedPackage
{
    public required string Type { get; init; }

    public string? Release { get; init; }

    public required string Name { get; init; }

    public IReadOnlyList<IReadOnlyList<RangeEvent>> Ranges { get; init; } = [];

    /// <summary>Explicitly listed affected versions (OSV <c>versions</c>).</summary>
    public IReadOnlyList<string> Versions { get; init; } = [];

    public AffectedStatus Status { get; init; } = AffectedStatus.Affected;

    /// <summary>The distribution's note on the status (Debian's <c>&lt;no-dsa&gt; (Minor issue)</c> text, ...).</summary>
    public string? Note { get; init; }

    /// <summary>The distribution's own rating for this package and release (Debian urgency <c>low</c>/<c>medium</c>/...), null when it gives none.</summary>
    public string? Severity { get; init; }

    /// <summary>The key the index looks it up by (name normalized as the ecosystem compares names).</summary>
    [JsonIgnore]
    public AdvisoryKey Key => AdvisoryKey.Create(Type, Release, Name);
}
