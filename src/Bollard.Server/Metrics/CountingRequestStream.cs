namespace Bollard.Server.Metrics;

/// <summary>
/// The request body as the endpoint reads it, counting the bytes (a chunked upload has no Content-Length, so the
/// header cannot tell how much a docker push sent). Forward-only, like the body it wraps.
/// </summary>
public sealed class CountingRequestStream(Stream inner) : Stream
{
    public Stream Inner { get; } = inner;

    public long BytesRead { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(Inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Count(Inner.Read(buffer));

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Count(await Inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int read)
    {
        BytesRead += read;
        return read;
    }
}
