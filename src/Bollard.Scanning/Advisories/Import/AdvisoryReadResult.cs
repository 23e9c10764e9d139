using Bollard.Core.Scanning.Advisories;

namespace Bollard.Scanning.Advisories.Import;

/// <summary>The advisories read from an import path (one per source and id).</summary>
public sealed record AdvisoryReadResult(IReadOnlyList<Advisory> Advisories)
{
    /// <summary>The distinct <see cref="Advisory.Source"/> values, sorted.</summary>
    public IReadOnlyList<string> Sources { get; } = Advisories.Select(a => a.Source).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
}
