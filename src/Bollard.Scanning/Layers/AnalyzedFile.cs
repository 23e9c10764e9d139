namespace Bollard.Scanning.Layers;

/// <summary>
/// A regular file of a layer offered to an <see cref="IFileAnalyzer"/> that wanted it. <see cref="Content"/> is the
/// file's bytes as a forward-only stream (straight from the tar stream: read it at most once, never past
/// <see cref="Size"/>); <see cref="OpenSeekableAsync"/> gives a seekable copy for formats that need one (zip, ELF),
/// in memory up to <see cref="ScanLimits.MaxInMemoryFileBytes"/>, else in a temporary file deleted on close.
/// </summary>
public sealed class AnalyzedFile
{
    private Stream? seekable;

    public AnalyzedFile(string path, long size, int mode, Stream content, ScanLimits limits, int depth = 0)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(limits);
        Path = path;
        Size = size;
        Mode = mode;
        Content = content;
        Limits = limits;
        Depth = depth;
    }

    /// <summary>Absolute, normalized path in the image (<c>/usr/lib/os-release</c>); for a file inside an archive, <c>/outer.war!/WEB-INF/lib/inner.jar</c>.</summary>
    public string Path { get; }

    public long Size { get; }

    /// <summary>Unix permission bits from the tar header (<c>0755</c> ...).</summary>
    public int Mode { get; }

    public Stream Content { get; }

    public ScanLimits Limits { get; }

    /// <summary>How many archives this file is inside (0 for a layer's own file): analyzers that open archives stop at <see cref="ScanLimits.MaxNestingDepth"/>.</summary>
    public int Depth { get; }

    /// <summary>A seekable stream of the whole file, positioned at 0; owned by this object (disposed with it). Call instead of reading <see cref="Content"/>, not after.</summary>
    public async ValueTask<Stream> OpenSeekableAsync(CancellationToken ct)
    {
        if (seekable is not null)
        {
            seekable.Position = 0;
            return seekable;
        }

        if (Content.CanSeek)
        {
            Content.Position = 0;
            return seekable = Content;
        }

        Stream copy = Size <= Limits.MaxInMemoryFileBytes
            ? new MemoryStream(checked((int)Math.Max(Size, 0)))
            : new FileStream(
                System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bollard-scan-" + Guid.NewGuid().ToString("N")),
                FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await Content.CopyToAsync(copy, ct).ConfigureAwait(false);
            copy.Position = 0;
            return seekable = copy;
        }
        catch
        {
            await copy.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Releases the seekable copy, if one was made (the walker calls this after the analyzer returns).</summary>
    public async ValueTask ReleaseAsync()
    {
        if (seekable is not null && !ReferenceEquals(seekable, Content))
        {
            await seekable.DisposeAsync().ConfigureAwait(false);
        }

        seekable = null;
    }
}
