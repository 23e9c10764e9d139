using Bollard.Core.Scanning;

namespace Bollard.Scanning.Pipeline;

/// <summary>
/// Which findings to list: <see cref="Severities"/> (any of them; empty: all), only those with a fixed version, only
/// one package (its name, or <c>type/name</c>), and whether to include the ones hidden by an exception or marked
/// not affected / fixed by OpenVEX.
/// </summary>
public sealed record FindingFilter
{
    public IReadOnlyList<string> Severities { get; init; } = [];

    public bool? Fixable { get; init; }

    public string? Package { get; init; }

    public bool IncludeHidden { get; init; }

    public static FindingFilter Visible { get; } = new();

    public bool Matches(Finding f)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (!IncludeHidden && IsHidden(f.Status)) return false;
        if (Severities.Count > 0 && !Severities.Contains(f.Severity, StringComparer.OrdinalIgnoreCase)) return false;
        if (Fixable is { } fixable && (f.FixedVersion is not null) != fixable) return false;
        if (Package is { } p && p != f.PackageName && p != $"{f.PackageType}/{f.PackageName}") return false;
        return true;
    }

    /// <summary>Excepted, and OpenVEX not affected / fixed: not counted in summaries, listed only when asked.</summary>
    public static bool IsHidden(FindingStatus status) => status is FindingStatus.Excepted or FindingStatus.NotAffected or FindingStatus.Fixed;
}
