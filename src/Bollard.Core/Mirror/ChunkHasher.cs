using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;

namespace Bollard.Core.Mirror;

/// <summary>
/// Hashes chunks in order on its own task while the producer goes on reading and writing (a blob fetch: the hash then
/// runs beside the transfer instead of in series with it). At most <c>capacity</c> chunks wait; <see cref="AddAsync"/>
/// waits beyond that, so memory stays bounded. Owns the pooled buffers handed to it and returns them to
/// <see cref="ArrayPool{T}.Shared"/>. One producer.
/// </summary>
internal sealed class ChunkHasher
{
    private readonly Channel<(byte[] Buffer, int Count)> _chunks;
    private readonly Task _hashing;

    public ChunkHasher(IncrementalHash hash, int capacity)
    {
        _chunks = Channel.CreateBounded<(byte[] Buffer, int Count)>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait,
        });
        _hashing = Task.Run(() => HashAllAsync(hash));
    }

    /// <summary>Queues <paramref name="count"/> bytes of <paramref name="buffer"/>; the buffer is the hasher's from now on, even when this throws.</summary>
    public async ValueTask AddAsync(byte[] buffer, int count)
    {
        try
        {
            await _chunks.Writer.WriteAsync((buffer, count)).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Waits until every queued chunk is hashed (the hash is then complete); throws the hasher's failure.</summary>
    public async Task CompleteAsync()
    {
        _chunks.Writer.TryComplete();
        await _hashing.ConfigureAwait(false);
    }

    private async Task HashAllAsync(IncrementalHash hash)
    {
        bool failed = false;
        // After a failure the rest is drained (buffers returned) and ReadAllAsync ends with that failure.
        await foreach (var (buffer, count) in _chunks.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                if (!failed) hash.AppendData(buffer, 0, count);
            }
            catch (Exception e) when (e is CryptographicException or ObjectDisposedException)
            {
                failed = true;
                _chunks.Writer.TryComplete(e);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
