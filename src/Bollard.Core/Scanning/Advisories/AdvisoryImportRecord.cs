namespace Bollard.Core.Scanning.Advisories;

/// <summary>
/// One import in the history: when, which feed (and the <see cref="Source"/> format it was read as), from which path,
/// and what changed. <see cref="Id"/> is 0 until stored.
/// </summary>
public sealed record AdvisoryImportRecord
{
    public long Id { get; init; }

    public required DateTimeOffset ImportedAt { get; init; }

    public required string Feed { get; init; }

    public required string Source { get; init; }

    public required string Path { get; init; }

    public int Added { get; init; }

    public int Changed { get; init; }

    public int Removed { get; init; }

    public int Unchanged { get; init; }

    /// <summary>Records or ranges skipped with a warning (unknown ecosystem, bad range, unreadable file).</summary>
    public int Warnings { get; init; }

    public TimeSpan Duration { get; init; }
}
