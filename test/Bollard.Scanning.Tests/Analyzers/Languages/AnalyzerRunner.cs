using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Tests.Analyzers.Languages;

/// <summary>Feeds files to an analyzer the way the layer walker does: Wants first, then a forward-only stream of the bytes.</summary>
internal static class AnalyzerRunner
{
    /// <summary>A non-seekable stream over a file, like a tar entry.</summary>
    private sealed class ForwardOnly(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Analyzes a file on disk as if it were at <paramref name="imagePath"/> in an image.</summary>
    public static async Task<FileAnalysis> AnalyzeAsync(IFileAnalyzer analyzer, string diskPath, string imagePath, ScanLimits? limits = null, int? mode = null)
    {
        var info = new FileInfo(diskPath);
        int m = mode ?? UnixMode(diskPath);
        Assert.True(analyzer.Wants(imagePath, info.Length, m), $"{analyzer.Name} does not want {imagePath}");
        await using var content = new ForwardOnly(File.OpenRead(diskPath));
        var file = new AnalyzedFile(imagePath, info.Length, m, content, limits ?? ScanLimits.Default);
        try
        {
            return await analyzer.AnalyzeAsync(file, CancellationToken.None);
        }
        finally
        {
            await file.ReleaseAsync();
        }
    }

    private static int UnixMode(string path) => OperatingSystem.IsWindows() ? 0x1A4 : (int)File.GetUnixFileMode(path);

    /// <summary>Every file under <paramref name="root"/> the analyzer wants, with the image path <c>/</c> + the relative path.</summary>
    public static async Task<List<FileAnalysis>> AnalyzeTreeAsync(IFileAnalyzer analyzer, string root, string imagePrefix = "")
    {
        var results = new List<FileAnalysis>();
        foreach (string f in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string imagePath = imagePrefix + "/" + Path.GetRelativePath(root, f).Replace('\\', '/');
            var info = new FileInfo(f);
            if (info.LinkTarget is null && analyzer.Wants(imagePath, info.Length, UnixMode(f)))
            {
                results.Add(await AnalyzeAsync(analyzer, f, imagePath));
            }
        }

        return results;
    }
}
