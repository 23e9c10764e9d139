using Bollard.Core.Mirror;
using Bollard.Core.Mirror.Upstream;

namespace Bollard.Core.Tests.Mirror;

public sealed class UpstreamBodyTests
{
    /// <summary>An upstream that streams forever, counting what it was asked for.</summary>
    private sealed class EndlessStream : Stream
    {
        public long Served { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            Served += count;
            return count;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(100_000)]
    [InlineData(4 * 1024 * 1024)]
    public async Task ReadAtMost_EndlessStream_InvalidAfterReadingLimitPlusOne(int max)
    {
        var endless = new EndlessStream();

        var e = await Assert.ThrowsAsync<UpstreamException>(() => UpstreamBody.ReadAtMostAsync(endless, max, "the manifest x", default));

        Assert.Equal(UpstreamFailure.Invalid, e.Failure);
        Assert.Equal($"the manifest x is over {max} bytes", e.Message);
        Assert.Equal(max + 1L, endless.Served);
    }

    [Fact]
    public async Task ReadAtMost_ExactlyTheLimit_ReturnsTheBytes()
    {
        byte[] body = [1, 2, 3, 4];

        Assert.Equal(body, await UpstreamBody.ReadAtMostAsync(new MemoryStream(body), 4, "x", default));
    }
}
