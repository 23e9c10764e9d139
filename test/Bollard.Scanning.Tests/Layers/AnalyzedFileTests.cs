using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Tests.Layers;

public sealed class AnalyzedFileTests
{
    /// <summary>A forward-only stream (like a tar entry) that refuses to seek.</summary>
    private sealed class ForwardOnly(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }

    [Theory]
    [InlineData(10, 1 << 20)]   // in memory
    [InlineData(100, 16)]       // over the in-memory limit: a temporary file
    public async Task OpenSeekable_copies_a_forward_only_stream_and_rewinds_on_each_call(int size, long inMemoryLimit)
    {
        byte[] data = Enumerable.Range(0, size).Select(i => (byte)i).ToArray();
        var file = new AnalyzedFile("/x", size, 0x1A4, new ForwardOnly(data), ScanLimits.Default with { MaxInMemoryFileBytes = inMemoryLimit });

        Stream s = await file.OpenSeekableAsync(CancellationToken.None);
        Assert.True(s.CanSeek);
        var buffer = new byte[size];
        await s.ReadExactlyAsync(buffer);
        Assert.Equal(data, buffer);

        Stream again = await file.OpenSeekableAsync(CancellationToken.None);
        Assert.Same(s, again);
        Assert.Equal(0, again.Position);
        await file.ReleaseAsync();
        Assert.Throws<ObjectDisposedException>(() => s.ReadByte());
    }
}
