namespace Bollard.Scanning.Analyzers.Languages.Java;

/// <summary>A forward-only view of at most <c>limit</c> bytes of an inner stream (a zip entry's declared size: a lying header cannot make it inflate more).</summary>
internal sealed class BoundedStream(Stream inner, long limit) : Stream
{
    private long left = limit;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (left <= 0)
        {
            return 0;
        }

        int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
        left -= n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (left <= 0)
        {
            return 0;
        }

        int n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, left)], cancellationToken).ConfigureAwait(false);
        left -= n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

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

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
