using Microsoft.Win32.SafeHandles;

namespace Bollard.Storage.FileSystem;

/// <summary>
/// A forward-only read of <c>length</c> bytes of a file from <c>offset</c>, by positional reads (no seek, no
/// buffer of its own: the caller's buffer is the only copy). Ends early if the file is shorter than promised.
/// </summary>
internal sealed class FileRangeStream(SafeFileHandle handle, long offset, long length) : Stream
{
    private long _position = offset;
    private long _remaining = length;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException("a blob's size comes from stat, not from its stream");
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_remaining <= 0 || buffer.IsEmpty) return 0;
        int read = RandomAccess.Read(handle, buffer[..(int)Math.Min(buffer.Length, _remaining)], _position);
        Advance(read);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_remaining <= 0 || buffer.IsEmpty) return 0;
        int read = await RandomAccess.ReadAsync(handle, buffer[..(int)Math.Min(buffer.Length, _remaining)], _position, cancellationToken).ConfigureAwait(false);
        Advance(read);
        return read;
    }

    private void Advance(int read)
    {
        _position += read;
        _remaining = read == 0 ? 0 : _remaining - read;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) handle.Dispose();
        base.Dispose(disposing);
    }
}
