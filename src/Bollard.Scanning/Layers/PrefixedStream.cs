namespace Bollard.Scanning.Layers;

/// <summary>A forward-only stream that first replays bytes already read from <paramref name="inner"/> (the magic-byte peek), then continues with it.</summary>
internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream inner) : Stream
{
    private ReadOnlyMemory<byte> rest = prefix;

    /// <summary>Reads up to <paramref name="count"/> bytes (fewer only at the end of the stream).</summary>
    public static async ValueTask<byte[]> PeekAsync(Stream inner, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        int read = await inner.ReadAtLeastAsync(buffer, count, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        return read == count ? buffer : buffer[..read];
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (!rest.IsEmpty)
        {
            int n = Math.Min(rest.Length, buffer.Length);
            rest.Span[..n].CopyTo(buffer);
            rest = rest[n..];
            return n;
        }

        return inner.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!rest.IsEmpty)
        {
            int n = Math.Min(rest.Length, buffer.Length);
            rest.Span[..n].CopyTo(buffer.Span);
            rest = rest[n..];
            return ValueTask.FromResult(n);
        }

        return inner.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
