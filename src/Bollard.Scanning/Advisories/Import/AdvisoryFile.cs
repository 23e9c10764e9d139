namespace Bollard.Scanning.Advisories.Import;

/// <summary>One file of an advisory data set (a file of a directory or an entry of a zip), named by its path relative to the set's root with <c>/</c> separators.</summary>
public sealed class AdvisoryFile(string relativePath, long length, Func<Stream> open)
{
    public string RelativePath { get; } = relativePath;

    /// <summary>The length the directory or zip declares (a zip's may lie: reads are bounded anyway).</summary>
    public long Length { get; } = length;

    public string Name => RelativePath[(RelativePath.LastIndexOf('/') + 1)..];

    public Stream Open() => open();
}
