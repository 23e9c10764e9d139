using Bollard.Core.Scanning.Advisories;

namespace Bollard.Scanning.Advisories;

/// <summary>
/// What an import did: the stored history record (counts), the warnings (records or ranges skipped: at most
/// <see cref="AdvisoryImportContext.MaxWarningMessages"/> messages, <see cref="AdvisoryImportRecord.Warnings"/> counts
/// them all), and <see cref="ChangedKeys"/>: every (type, release, name) an added, changed or removed advisory names,
/// before and after the change, so a re-match only needs the inventories that contain one of those packages.
/// </summary>
public sealed record AdvisoryImportResult
{
    public required AdvisoryImportRecord Record { get; init; }

    public IReadOnlyList<string> Warnings { get; init; } = [];

    public required IReadOnlySet<AdvisoryKey> ChangedKeys { get; init; }

    /// <summary>Ids of the advisories added, changed or removed.</summary>
    public required IReadOnlySet<string> ChangedAdvisoryIds { get; init; }

    /// <summary>Whether anything changed (a re-import of the same snapshot changes nothing).</summary>
    public bool HasChanges => Record.Added + Record.Changed + Record.Removed > 0;
}
