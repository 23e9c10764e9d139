using System.Net.Http;

namespace Bollard.Core.Mirror.Upstream;

/// <summary>
/// An upstream response body as it arrives: each read must bring bytes within <c>stall</c> (an upstream that sends
/// headers and then nothing fails with <see cref="UpstreamFailure.Timeout"/> instead of holding a client forever), a
/// broken connection is <see cref="UpstreamFailure.Unreachable"/>, and disposing it releases the response it owns (its
/// pooled connection). Not seekable; reads are not verified (the caller hashes).
/// </summary>
internal sealed class UpstreamResponseStream(HttpResponseMessage? owned, Stream inner, TimeSpan stall, string what, Action<UpstreamFailure>? failed)
    : Stream
{
    private int _disposed;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(stall);
        try
        {
            return await inner.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Fail(new UpstreamException(UpstreamFailure.Timeout, $"{what}: the upstream sent nothing for {UpstreamText.Duration(stall)}", e));
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            throw Fail(new UpstreamException(UpstreamFailure.Unreachable, $"{what}: the connection broke ({e.Message})", e));
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Synchronous reads keep the stall bound by going through the asynchronous path (the mirror itself reads asynchronously).
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            inner.Dispose();
            owned?.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            owned?.Dispose();
        }
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private UpstreamException Fail(UpstreamException e)
    {
        failed?.Invoke(e.Failure);
        return e;
    }
}
