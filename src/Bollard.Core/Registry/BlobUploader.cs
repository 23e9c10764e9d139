using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Core.Registry;

/// <summary>
/// The upload logic, written once over any <see cref="IBlobStore"/> (which only stores bytes): hashing while
/// streaming, offset checks (416), declared-length checks, rollback of a failed chunk, digest and size
/// verification at commit. CNCF Distribution's <c>blobwriter</c> over a dumb <c>FileWriter</c>.
/// <para>
/// Process memory is a cache, never the truth. A live upload keeps its SHA-256 state here so that a chunk is
/// hashed once, but before each chunk and at commit the cache is checked against the size the backend reports;
/// when they differ (another node appended, a chunk was rolled back, the process restarted) the cache is dropped
/// and the stored bytes are hashed again. The backend's writer re-checks the offset atomically when it opens and
/// its commit re-checks the size, so a byte appended behind our back between check and commit makes the commit
/// fail cleanly instead of installing a blob under a digest it does not have.
/// </para>
/// Calls on one upload are serialized in this process; across processes the backend's writer lock serializes them.
/// </summary>
public sealed class BlobUploader(IBlobStore store)
{
    // 256 KiB per read: Kestrel hands a body over in 4 KiB pipe segments, and one write (and hash call) per
    // segment cost a quarter-million syscalls per GiB (bench/README.md).
    private const int BufferSize = 256 * 1024;
    private readonly ConcurrentDictionary<string, LiveUpload> _live = new(StringComparer.Ordinal);

    /// <summary>How many times a cached hash did not match the stored data and the data was hashed again.</summary>
    public long StaleCacheCount => Interlocked.Read(ref _staleCacheCount);
    private long _staleCacheCount;

    /// <summary>A fresh, unguessable upload id (128 random bits as 32 lower-case hex characters).</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Creates empty upload data under <paramref name="uploadId"/> (from <see cref="NewId"/>).</summary>
    public async ValueTask CreateAsync(string uploadId, CancellationToken ct)
    {
        await store.CreateUploadAsync(uploadId, ct).ConfigureAwait(false);
        _live[uploadId] = new LiveUpload { Hash = DigestAlgorithm.Sha256.CreateHash(), Length = 0 };
    }

    /// <returns>The stored length of the upload (what any node would see), or null when its data is gone.</returns>
    public ValueTask<long?> GetLengthAsync(string uploadId, CancellationToken ct) => store.GetUploadSizeAsync(uploadId, ct);

    /// <summary>
    /// Appends a chunk, hashing while streaming. When <paramref name="expectedStart"/> is given and differs from
    /// the stored length, nothing is written and <c>416</c> (<see cref="OciErrors.RangeInvalid"/>) is thrown.
    /// When <paramref name="expectedLength"/> is given and the stream delivers a different number of bytes, the
    /// chunk is rolled back and <c>SIZE_INVALID</c> is thrown. A failed read (client gone) rolls the chunk back
    /// too: the upload stays as it was before the call.
    /// </summary>
    /// <returns>The new length.</returns>
    /// <exception cref="OciException"><c>BLOB_UPLOAD_UNKNOWN</c> when the upload data is gone or the upload is finished.</exception>
    public async ValueTask<long> AppendAsync(string uploadId, Stream chunk, long? expectedStart, long? expectedLength, CancellationToken ct)
    {
        var live = _live.GetOrAdd(uploadId, _ => new LiveUpload());
        await live.Lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ThrowIfClosed(live);
            await SyncAsync(uploadId, live, ct).ConfigureAwait(false);
            // distribution-spec: "If a chunk is uploaded out of order, the registry MUST respond with a 416".
            if (expectedStart is { } start && start != live.Length)
                throw new OciException(OciErrors.RangeInvalid, $"chunk starts at {start}, upload is at {live.Length}");

            IUploadWriter writer;
            try
            {
                writer = await store.OpenUploadWriterAsync(uploadId, live.Length, ct).ConfigureAwait(false)
                    ?? throw Gone(uploadId, live);
            }
            catch (UploadConflictException e)
            {
                live.Invalidate();
                throw new OciException(OciErrors.RangeInvalid, $"the upload changed concurrently ({e.Message}); ask for its status and retry");
            }

            long written = 0;
            byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                await using (writer.ConfigureAwait(false))
                {
                    try
                    {
                        int read;
                        while ((read = await chunk.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false)) > 0)
                        {
                            if (expectedLength is { } max && written + read > max)
                                throw new OciException(OciErrors.SizeInvalid, $"chunk is longer than the declared {max} bytes");
                            await writer.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                            live.Hash!.AppendData(buffer, 0, read);
                            written += read;
                        }
                        if (expectedLength is { } exact && written != exact)
                            throw new OciException(OciErrors.SizeInvalid, $"received {written} bytes, declared {exact}");
                        await writer.CompleteAsync(ct).ConfigureAwait(false);
                    }
                    catch
                    {
                        // Disposing the writer uncompleted rolls the bytes back; the hash has absorbed some of the
                        // chunk, so it is rebuilt from the stored data on the next call.
                        live.Invalidate();
                        throw;
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            live.Length += written;
            return live.Length;
        }
        finally
        {
            live.Lock.Release();
        }
    }

    /// <summary>
    /// Verifies the stored data against <paramref name="expected"/> (and <paramref name="expectedSize"/> if given)
    /// and moves it into the blob store, durable. On mismatch the upload data is removed and
    /// <c>DIGEST_INVALID</c>/<c>SIZE_INVALID</c> is thrown; no blob is left behind. When the data changes between
    /// verification and the move (a concurrent writer), nothing is installed, the data is removed and
    /// <c>BLOB_UPLOAD_INVALID</c> is thrown.
    /// </summary>
    public async ValueTask<BlobInfo> CommitAsync(string uploadId, Digest expected, long? expectedSize, CancellationToken ct)
    {
        var live = _live.GetOrAdd(uploadId, _ => new LiveUpload());
        await live.Lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ThrowIfClosed(live);
            Digest actual;
            if (expected.Algorithm == DigestAlgorithm.Sha256)
            {
                await SyncAsync(uploadId, live, ct).ConfigureAwait(false);
                actual = Digest.FromHash(DigestAlgorithm.Sha256, live.Hash!.GetHashAndReset());
                live.Invalidate(); // the hash state was consumed
            }
            else
            {
                live.Invalidate();
                long size = await store.GetUploadSizeAsync(uploadId, ct).ConfigureAwait(false) ?? throw Gone(uploadId, live);
                var (hash, counted) = await HashStoredAsync(uploadId, expected.Algorithm, size, live, ct).ConfigureAwait(false);
                using (hash) actual = Digest.FromHash(expected.Algorithm, hash.GetHashAndReset());
                live.Length = counted;
            }
            long length = live.Length;
            if (expectedSize is { } declared && declared != length)
            {
                await DiscardAsync(uploadId, live).ConfigureAwait(false);
                throw new OciException(OciErrors.SizeInvalid, $"blob is {length} bytes, {declared} were declared");
            }
            if (actual != expected)
            {
                await DiscardAsync(uploadId, live).ConfigureAwait(false);
                throw new OciException(OciErrors.DigestInvalid, $"content digest is {actual}, not {expected}");
            }
            bool moved;
            try
            {
                moved = await store.CommitUploadAsync(uploadId, expected, length, ct).ConfigureAwait(false);
            }
            catch (UploadConflictException e)
            {
                await DiscardAsync(uploadId, live).ConfigureAwait(false);
                throw new OciException(OciErrors.BlobUploadInvalid, $"the upload changed while it was committed ({e.Message}); nothing was stored");
            }
            if (!moved) throw Gone(uploadId, live);
            Forget(uploadId, live);
            return new BlobInfo(expected, length);
        }
        finally
        {
            live.Lock.Release();
        }
    }

    /// <summary>Discards the upload data and its cached state. Idempotent, safe after commit.</summary>
    public async ValueTask CancelAsync(string uploadId, CancellationToken ct)
    {
        var live = _live.GetOrAdd(uploadId, _ => new LiveUpload());
        await live.Lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!live.Closed) await DiscardAsync(uploadId, live).ConfigureAwait(false);
        }
        finally
        {
            live.Lock.Release();
        }
    }

    /// <summary>Makes sure <paramref name="live"/> holds the hash of exactly the stored bytes, re-hashing them if not.</summary>
    private async ValueTask SyncAsync(string uploadId, LiveUpload live, CancellationToken ct)
    {
        long stored = await store.GetUploadSizeAsync(uploadId, ct).ConfigureAwait(false) ?? throw Gone(uploadId, live);
        if (live.Hash is not null && live.Length == stored) return;
        if (live.Hash is not null) Interlocked.Increment(ref _staleCacheCount);
        live.Invalidate();
        var (hash, counted) = await HashStoredAsync(uploadId, DigestAlgorithm.Sha256, stored, live, ct).ConfigureAwait(false);
        live.Hash = hash;
        live.Length = counted;
    }

    /// <summary>Hashes the first <paramref name="size"/> stored bytes (fewer if the data is shorter now).</summary>
    private async ValueTask<(IncrementalHash Hash, long Counted)> HashStoredAsync(string uploadId, DigestAlgorithm algorithm, long size, LiveUpload live, CancellationToken ct)
    {
        var source = await store.OpenUploadReadAsync(uploadId, ct).ConfigureAwait(false) ?? throw Gone(uploadId, live);
        var hash = algorithm.CreateHash();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await using (source.ConfigureAwait(false))
            {
                long counted = 0;
                while (counted < size)
                {
                    int read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, size - counted)), ct).ConfigureAwait(false);
                    if (read == 0) break;
                    hash.AppendData(buffer, 0, read);
                    counted += read;
                }
                return (hash, counted);
            }
        }
        catch
        {
            hash.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask DiscardAsync(string uploadId, LiveUpload live)
    {
        Forget(uploadId, live);
        await store.DeleteUploadAsync(uploadId, CancellationToken.None).ConfigureAwait(false);
    }

    private OciException Gone(string uploadId, LiveUpload live)
    {
        Forget(uploadId, live);
        return new OciException(OciErrors.BlobUploadUnknown, "upload data is gone");
    }

    private void Forget(string uploadId, LiveUpload live)
    {
        live.Closed = true;
        live.Invalidate();
        _live.TryRemove(new KeyValuePair<string, LiveUpload>(uploadId, live));
    }

    private static void ThrowIfClosed(LiveUpload live)
    {
        if (live.Closed) throw new OciException(OciErrors.BlobUploadUnknown, "upload is already finished");
    }

    /// <summary>This process's cached state of one upload. Guarded by <see cref="Lock"/>.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim needs Dispose only once its AvailableWaitHandle was used; an upload ends while other callers may still wait on it.")]
    private sealed class LiveUpload
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);

        /// <summary>SHA-256 over the stored bytes [0, <see cref="Length"/>); null when it must be rebuilt from storage.</summary>
        public IncrementalHash? Hash { get; set; }

        public long Length { get; set; }

        /// <summary>Committed, cancelled or gone: no call may continue it.</summary>
        public bool Closed { get; set; }

        public void Invalidate()
        {
            Hash?.Dispose();
            Hash = null;
        }
    }
}
