using System.Security.Cryptography;
using Bollard.Core.Oci;

namespace Bollard.Scanning.Layers;

/// <summary>
/// Reads an untrusted blob stream forward while hashing and counting it against its descriptor: more bytes than the
/// descriptor's size stop the read at once (<see cref="LayerReadException"/>); <see cref="Verify"/> after the end says
/// whether the bytes were short (truncated) or the digest differs. Either way the bytes read are not the layer, so
/// nothing found in them is kept.
/// </summary>
internal sealed class VerifyingStream(Stream inner, Descriptor descriptor) : Stream
{
    private readonly IncrementalHash hash = descriptor.Digest.Algorithm.CreateHash();

    public long BytesRead { get; private set; }

    public bool ReachedEnd { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        return Count(buffer[..n]);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Count(buffer.Span[..n]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Count(ReadOnlySpan<byte> read)
    {
        if (read.IsEmpty)
        {
            ReachedEnd = true;
            return 0;
        }

        BytesRead += read.Length;
        if (BytesRead > descriptor.Size)
        {
            throw new LayerReadException($"the blob source returned more than the descriptor's {descriptor.Size} bytes: layer ignored", trustPartial: false);
        }

        hash.AppendData(read);
        return read.Length;
    }

    /// <summary>Reads what is left of the blob (bounded by the descriptor size) and checks size and digest.</summary>
    /// <exception cref="LayerReadException">Truncated (partial results may be kept) or a digest mismatch (they may not).</exception>
    public async ValueTask DrainAndVerifyAsync(CancellationToken ct)
    {
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (await ReadAsync(buffer.AsMemory(), ct).ConfigureAwait(false) > 0)
            {
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        Verify();
    }

    public void Verify()
    {
        if (BytesRead < descriptor.Size)
        {
            throw new LayerReadException($"truncated: the blob source ended after {BytesRead} of {descriptor.Size} bytes: layer ignored", trustPartial: false);
        }

        var actual = Digest.FromHash(descriptor.Digest.Algorithm, hash.GetCurrentHash());
        if (actual != descriptor.Digest)
        {
            throw new LayerReadException($"digest mismatch: the blob source returned {actual}: layer ignored", trustPartial: false);
        }
    }

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
            hash.Dispose();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        hash.Dispose();
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
