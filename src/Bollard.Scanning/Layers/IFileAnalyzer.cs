namespace Bollard.Scanning.Layers;

/// <summary>
/// Reads packages from one kind of file (dpkg status, apk installed, package-lock.json, *.deps.json, a jar, a Go
/// binary ...). The layer walker asks <see cref="Wants"/> for every regular file of every layer (cheap: path, size and
/// mode only; keep it allocation-free), then calls <see cref="AnalyzeAsync"/> with the file's bytes. An analyzer is
/// stateless and thread-safe, never throws for bad content (it returns warnings: the walker also catches and turns
/// an exception into a warning naming the analyzer and file), and never reads more than the file.
/// Register in <c>Analyzers.FileAnalyzers.All</c>.
/// </summary>
public interface IFileAnalyzer
{
    /// <summary>Stable short name, used in warnings and the layer index (<c>dpkg</c>, <c>npm-lock</c>, <c>go-binary</c>).</summary>
    string Name { get; }

    /// <param name="path">Absolute normalized path (<c>/var/lib/dpkg/status</c>).</param>
    /// <param name="size">File size in bytes.</param>
    /// <param name="mode">Unix permission bits (a Go binary is wanted only when executable).</param>
    bool Wants(string path, long size, int mode);

    ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct);
}
