namespace Bollard.Scanning.Layers;

/// <summary>
/// The decompressed tar stream of a layer, counted against <see cref="ScanLimits.MaxLayerBytes"/> and the
/// decompression ratio (<see cref="ScanLimits.MaxDecompressionRatio"/> once past
/// <see cref="ScanLimits.RatioGraceBytes"/>, measured against the compressed bytes read so far): a zip bomb stops
/// with a <see cref="LayerReadException"/> long before it fills memory or disk (nothing is written anyway).
/// </summary>
internal sealed class BoundedTarStream(Stream decompressed, VerifyingStream compressed, ScanLimits limits, bool isCompressed) : Stream
{
    public long BytesRead { get; private set; }

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

    public override int Read(Span<byte> buffer) => Count(decompressed.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await decompressed.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Count(int n)
    {
        BytesRead += n;
        if (BytesRead > limits.MaxLayerBytes)
        {
            throw new LayerReadException($"more than {limits.MaxLayerBytes} uncompressed bytes (limit MaxLayerBytes): rest of the layer skipped", trustPartial: true);
        }

        if (isCompressed && BytesRead > limits.RatioGraceBytes && BytesRead > Math.Max(compressed.BytesRead, 1) * limits.MaxDecompressionRatio)
        {
            throw new LayerReadException(
                $"decompression ratio above {limits.MaxDecompressionRatio} ({BytesRead} bytes from {compressed.BytesRead} compressed; limit MaxDecompressionRatio): rest of the layer skipped",
                trustPartial: true);
        }

        return n;
    }

    /// <summary>Reads the rest of the decompressed stream (past the tar's end-of-archive blocks), still bounded.</summary>
    public async ValueTask DrainAsync(CancellationToken ct)
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
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
