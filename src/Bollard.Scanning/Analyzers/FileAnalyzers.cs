using Bollard.Scanning.Analyzers.Languages.Binaries;
using Bollard.Scanning.Analyzers.Languages.DotNet;
using Bollard.Scanning.Analyzers.Languages.Java;
using Bollard.Scanning.Analyzers.Languages.Npm;
using Bollard.Scanning.Analyzers.Languages.Python;
using Bollard.Scanning.Analyzers.Languages.Ruby;
using Bollard.Scanning.Analyzers.Os;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Analyzers;

/// <summary>
/// Every file analyzer the engine runs, in a fixed order (a file wanted by several is given to each). Add one line per
/// analyzer; the layer walker and the per-layer index use this list (its names go into the index, so renaming an
/// analyzer means bumping the engine version).
/// </summary>
public static class FileAnalyzers
{
    public static IReadOnlyList<IFileAnalyzer> All { get; } =
    [
        new OsReleaseAnalyzer(),
        new DpkgAnalyzer(),
        new ApkAnalyzer(),
        new RpmAnalyzer(),
        new NpmLockAnalyzer(),
        new YarnLockAnalyzer(),
        new PnpmLockAnalyzer(),
        new NpmPackageJsonAnalyzer(),
        new DepsJsonAnalyzer(),
        new PackagesLockAnalyzer(),
        new PythonMetadataAnalyzer(),
        new ElfBinaryAnalyzer(),
        new JavaArchiveAnalyzer(),
        new GemspecAnalyzer(),
    ];
}
