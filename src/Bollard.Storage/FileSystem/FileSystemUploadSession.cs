using System.Buffers;
using System.Security.Cryptography;
using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Storage.FileSystem;

/// <summary>An upload streaming into a temp file while SHA-256 runs over it. Calls are serialized by a lock.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim needs Dispose only once its AvailableWaitHandle was used; sessions end while other callers may still wait.")]
internal sealed class FileSystemUploadSession : IUploadSession
{
    private readonly FileSystemBlobStore _store;
    private readonly string _path;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private IncrementalHash? _hash; // sha256 over bytes [0, Length); null when it must be rebuilt from the file
    private bool _closed;

    public FileSystemUploadSession(FileSystemBlobStore store, string id, string path, long length, bool freshHash)
    {
        _store = store;
        Id = id;
        _path = path;
        Length = length;
        if (freshHash) _hash = DigestAlgorithm.Sha256.CreateHash();
    }

    public string Id { get; }
    public long Length { get; private set; }

    public async ValueTask<long> AppendAsync(Stream chunk, long? expectedStart, long? expectedLength, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            // distribution-spec: "If a chunk is uploaded out of order, the registry MUST respond with a 416".
            if (expectedStart is { } start && start != Length)
                throw new OciException(OciErrors.RangeInvalid, $"chunk starts at {start}, upload is at {Length}");
            _hash ??= await RehashAsync(DigestAlgorithm.Sha256, ct).ConfigureAwait(false);

            long before = Length;
            long written = 0;
            byte[] buffer = ArrayPool<byte>.Shared.Rent(FileSystemBlobStore.CopyBufferSize);
            try
            {
                await using var file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
                int read;
                // Fill the whole buffer before writing: Kestrel hands the body over in 4 KiB pipe segments, and
                // one write syscall (and hash call) per segment cost a quarter-million syscalls per GiB.
                while ((read = await chunk.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false)) > 0)
                {
                    if (expectedLength is { } max && written + read > max)
                        throw new OciException(OciErrors.SizeInvalid, $"chunk is longer than the declared {max} bytes");
                    await file.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    _hash.AppendData(buffer, 0, read);
                    written += read;
                }
                if (expectedLength is { } exact && written != exact)
                    throw new OciException(OciErrors.SizeInvalid, $"received {written} bytes, declared {exact}");
            }
            catch
            {
                // Roll back to the state before this chunk: the bytes and the hash state.
                using (var file = new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.None)) file.SetLength(before);
                _hash.Dispose();
                _hash = null;
                throw;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            Length = before + written;
            return Length;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask<BlobInfo> CommitAsync(Digest expected, long? expectedSize, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            if (_store.Options.Fsync)
            {
                using var file = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                file.Flush(flushToDisk: true);
            }
            if (expectedSize is { } size && size != Length)
            {
                Discard();
                throw new OciException(OciErrors.SizeInvalid, $"blob is {Length} bytes, {size} were declared");
            }
            Digest actual;
            if (expected.Algorithm == DigestAlgorithm.Sha256 && _hash is not null)
                actual = Digest.FromHash(DigestAlgorithm.Sha256, _hash.GetHashAndReset());
            else
            {
                using var h = await RehashAsync(expected.Algorithm, ct).ConfigureAwait(false);
                actual = Digest.FromHash(expected.Algorithm, h.GetHashAndReset());
            }
            if (actual != expected)
            {
                Discard();
                throw new OciException(OciErrors.DigestInvalid, $"content digest is {actual}, not {expected}");
            }
            _store.Install(_path, expected);
            _closed = true;
            _store.Forget(Id);
            _hash?.Dispose();
            return new BlobInfo(expected, Length);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask CancelAsync(CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_closed) Discard();
        }
        finally
        {
            _lock.Release();
        }
    }

    private void Discard()
    {
        _closed = true;
        _store.Forget(Id);
        _hash?.Dispose();
        try { File.Delete(_path); } catch (IOException) { }
    }

    private void ThrowIfClosed()
    {
        if (_closed) throw new OciException(OciErrors.BlobUploadUnknown, "upload is already finished");
    }

    private async Task<IncrementalHash> RehashAsync(DigestAlgorithm algorithm, CancellationToken ct)
    {
        var hash = algorithm.CreateHash();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(FileSystemBlobStore.CopyBufferSize);
        try
        {
            await using var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
            long remaining = Length;
            while (remaining > 0)
            {
                int read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), ct).ConfigureAwait(false);
                if (read == 0) break;
                hash.AppendData(buffer, 0, read);
                remaining -= read;
            }
            return hash;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
