using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Bollard.Server.Hosting;

/// <summary>
/// The response body as the server sends it, counting the bytes written through any of its three doors
/// (stream, pipe writer, send-file). One add per write: nothing is buffered or copied.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The wrappers own nothing: the server completes and disposes the real body.")]
public sealed class CountingResponseBody : IHttpResponseBodyFeature
{
    private readonly CountingStream _stream;
    private readonly CountingWriter _writer;
    private long _sentFile;

    public CountingResponseBody(IHttpResponseBodyFeature inner)
    {
        Inner = inner;
        _stream = new CountingStream(inner.Stream);
        _writer = new CountingWriter(inner.Writer);
    }

    public IHttpResponseBodyFeature Inner { get; }

    public long BytesWritten => _stream.Count + _writer.Count + _sentFile;

    public Stream Stream => _stream;

    public PipeWriter Writer => _writer;

    public void DisableBuffering() => Inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => Inner.StartAsync(cancellationToken);

    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        await Inner.SendFileAsync(path, offset, count, cancellationToken).ConfigureAwait(false);
        _sentFile += count ?? Math.Max(0, new FileInfo(path).Length - offset);
    }

    public Task CompleteAsync() => Inner.CompleteAsync();

    private sealed class CountingWriter(PipeWriter inner) : PipeWriter
    {
        public long Count { get; private set; }

        public override void Advance(int bytes)
        {
            inner.Advance(bytes);
            Count += bytes;
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            Count += source.Length;
            return inner.WriteAsync(source, cancellationToken);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Count += count;
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            Count += buffer.Length;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Count += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
