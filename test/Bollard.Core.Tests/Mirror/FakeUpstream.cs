using Bollard.Core.Mirror;
using Bollard.Core.Oci;

namespace Bollard.Core.Tests.Mirror;

/// <summary>An upstream whose blobs the test decides (<see cref="Serve"/>); counts the blob opens it answered.</summary>
internal sealed class FakeUpstream : IUpstreamRegistry
{
    private int _blobOpens;

    /// <summary>What an open of a digest returns (null: 404). Called once per upstream request.</summary>
    public Func<Digest, UpstreamBlob?> Serve { get; set; } = _ => null;

    public int BlobOpens => Volatile.Read(ref _blobOpens);

    public Task<UpstreamBlob?> OpenBlobAsync(MirrorRoute route, Digest digest, CancellationToken ct)
    {
        Interlocked.Increment(ref _blobOpens);
        return Task.FromResult(Serve(digest));
    }

    public Task<UpstreamManifestHead?> HeadManifestAsync(MirrorRoute route, Reference reference, CancellationToken ct) => throw new NotSupportedException();
    public Task<UpstreamManifest?> GetManifestAsync(MirrorRoute route, Reference reference, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<Descriptor>> ListReferrersAsync(MirrorRoute route, Digest subject, int max, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<string>> ListTagsAsync(MirrorRoute route, int max, CancellationToken ct) => throw new NotSupportedException();
}

/// <summary>
/// Serves <c>bytes</c> in chunks; the bytes after <c>freeBytes</c> only once <see cref="Open"/> is called, so a test
/// can hold the upstream transfer in the middle (a slow upstream) and look at what readers have meanwhile.
/// </summary>
internal sealed class GatedStream(byte[] bytes, int freeBytes, int chunk = 16 * 1024) : Stream
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _position;

    public bool Finished => Volatile.Read(ref _position) >= bytes.Length;

    public void Open() => _gate.TrySetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= freeBytes) await _gate.Task.WaitAsync(cancellationToken);
        int n = Math.Min(Math.Min(buffer.Length, chunk), bytes.Length - _position);
        if (_position < freeBytes) n = Math.Min(n, freeBytes - _position);
        bytes.AsMemory(_position, n).CopyTo(buffer);
        Volatile.Write(ref _position, _position + n);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Zeros forever (an upstream that never ends its body); counts what it sent.</summary>
internal sealed class EndlessStream : Stream
{
    private long _sent;

    public long Sent => Interlocked.Read(ref _sent);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        buffer.Span.Clear();
        Interlocked.Add(ref _sent, buffer.Length);
        return ValueTask.FromResult(buffer.Length);
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Sent; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
