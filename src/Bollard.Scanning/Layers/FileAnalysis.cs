using Bollard.Core.Scanning;

namespace Bollard.Scanning.Layers;

/// <summary>
/// What an <see cref="IFileAnalyzer"/> read from one file: packages (with <see cref="ScanPackage.Path"/> set and
/// <see cref="ScanPackage.LayerDigest"/> left null: the layer merge sets it), the distribution when the file is an
/// <c>os-release</c>, and warnings for what it could not read (a broken stanza is skipped, not fatal).
/// </summary>
public sealed record FileAnalysis
{
    public IReadOnlyList<ScanPackage> Packages { get; init; } = [];

    public OsInfo? Os { get; init; }

    public IReadOnlyList<string> Warnings { get; init; } = [];

    public static FileAnalysis Empty { get; } = new();
}
