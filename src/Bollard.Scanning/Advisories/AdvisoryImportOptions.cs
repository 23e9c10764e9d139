namespace Bollard.Scanning.Advisories;

/// <summary>Options of one import.</summary>
public sealed record AdvisoryImportOptions
{
    /// <summary>
    /// The feed the import replaces (see <see cref="Bollard.Core.Scanning.Advisories.IAdvisoryStore"/>). Null: derived
    /// from the path, <c>{source}:{file or folder name}</c> (<c>osv:go</c>, <c>debian:debian</c>, <c>alpine:secdb</c>;
    /// a zip's name without <c>.zip</c>), or just the name when the path holds several formats.
    /// </summary>
    public string? Feed { get; init; }

    /// <summary>Name recorded as the import's path, and the name the default feed is made of (the API gives the uploaded file's name, not its temp path). Null: the path.</summary>
    public string? DisplayPath { get; init; }
}
