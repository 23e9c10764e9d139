using Bollard.Scanning.Layers;
using Bollard.Scanning.Tests.Support;

namespace Bollard.Scanning.Tests.Layers;

/// <summary>An analyzer that throws or hangs is a warning naming the analyzer and the file; the other analyzers and files still count.</summary>
public sealed class AnalyzerFailureTests
{
    private sealed class Throwing : IFileAnalyzer
    {
        public string Name => "throwing";

        public bool Wants(string path, long size, int mode) => path == "/a";

        public ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct) => throw new InvalidOperationException("boom");
    }

    private sealed class Hanging : IFileAnalyzer
    {
        public string Name => "hanging";

        public bool Wants(string path, long size, int mode) => path == "/a";

        public async ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct)
        {
            await Task.Delay(Timeout.Infinite, ct);
            return FileAnalysis.Empty;
        }
    }

    [Fact]
    public async Task A_throwing_or_hanging_analyzer_is_a_warning_and_the_others_still_run()
    {
        var blobs = new MemoryBlobSource();
        var image = TestBlobs.Image(blobs, new TestLayer()
            .File("a", "content")
            .File("var/lib/dpkg/status", "Package: base\nStatus: install ok installed\nVersion: 1.0\n").Gzip());
        var analyzers = new IFileAnalyzer[] { new Throwing(), new Bollard.Scanning.Analyzers.Os.DpkgAnalyzer() };
        var inv = (await new ImageAnalyzer(ScanLimits.Default, analyzers).AnalyzeAsync(image, blobs, null, CancellationToken.None)).Inventory;

        Assert.Equal("base", Assert.Single(inv.Packages).Name);
        Assert.EndsWith("/a: analyzer throwing failed (InvalidOperationException: boom)", Assert.Single(inv.Warnings), StringComparison.Ordinal);

        // The hanging one is cancelled through its token when MaxAnalyzerTime passes (1 ms here: no wait in the test).
        var hung = await new ImageAnalyzer(ScanLimits.Default with { MaxAnalyzerTime = TimeSpan.FromMilliseconds(1) }, [new Hanging()])
            .AnalyzeAsync(image, blobs, null, CancellationToken.None);
        Assert.Contains("/a: analyzer hanging took longer than", Assert.Single(hung.Inventory.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_the_scan_cancels_it()
    {
        var blobs = new MemoryBlobSource();
        var image = TestBlobs.Image(blobs, new TestLayer().File("a", "x").Gzip());
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ImageAnalyzer(null, ScanLimits.Default).AnalyzeAsync(image, blobs, null, cts.Token));
    }
}
