using Bollard.Core.Scanning;

namespace Bollard.Scanning.Matching;

/// <summary>
/// What one (index key, version) matches: finding templates (the package's own fields empty) and the advisories whose
/// ranges could not be ordered against the version. Immutable, shared by every image holding that package.
/// </summary>
internal sealed record PackageMatch(Finding[] Findings, (string AdvisoryId, string Error)[] Errors)
{
    public static PackageMatch None { get; } = new([], []);
}
