using System.Runtime.CompilerServices;
using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Core.Tests.Registry;

/// <summary>
/// The thin <see cref="IBlobStore"/> contract in memory, for Core unit tests: it only keeps bytes, exactly as a
/// backend must (no hashing, no verification). Several <see cref="Core.Registry.BlobUploader"/>s over one instance
/// behave like several nodes over one shared store.
/// </summary>
public sealed class InMemoryBlobStore(TimeProvider time) : IBlobStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Digest, byte[]> _blobs = [];
    private readonly Dictionary<string, UploadData> _uploads = new(StringComparer.Ordinal);

    public InMemoryBlobStore() : this(TimeProvider.System) { }

    /// <summary>What <see cref="GetRedirectUriAsync"/> answers (null: stream through Bollard).</summary>
    public Uri? RedirectBase { get; set; }

    public int UploadCount { get { lock (_lock) return _uploads.Count; } }

    public int BlobCount { get { lock (_lock) return _blobs.Count; } }

    /// <summary>What another node does behind this process's back: appends bytes to upload data directly.</summary>
    public void AppendBehindTheBack(string uploadId, ReadOnlySpan<byte> bytes)
    {
        lock (_lock)
        {
            var data = _uploads[uploadId];
            data.Bytes.AddRange(bytes);
            data.LastModified = time.GetUtcNow();
        }
    }

    public byte[]? BlobBytes(Digest digest)
    {
        lock (_lock) return _blobs.TryGetValue(digest, out var b) ? b : null;
    }

    public ValueTask<BlobInfo?> StatAsync(Digest digest, CancellationToken ct)
    {
        lock (_lock) return ValueTask.FromResult(_blobs.TryGetValue(digest, out var b) ? new BlobInfo(digest, b.Length) : null);
    }

    public ValueTask<Stream?> OpenReadAsync(Digest digest, ByteRange? range, CancellationToken ct)
    {
        lock (_lock)
        {
            if (!_blobs.TryGetValue(digest, out var b)) return ValueTask.FromResult<Stream?>(null);
            var r = range ?? new ByteRange(0, b.Length);
            return ValueTask.FromResult<Stream?>(new MemoryStream(b, (int)r.Offset, (int)r.Length, writable: false));
        }
    }

    public ValueTask<Uri?> GetRedirectUriAsync(Digest digest, CancellationToken ct) =>
        ValueTask.FromResult(RedirectBase is null ? null : new Uri(RedirectBase, digest.Hex));

    public ValueTask<bool> DeleteAsync(Digest digest, CancellationToken ct)
    {
        lock (_lock) return ValueTask.FromResult(_blobs.Remove(digest));
    }

    public async IAsyncEnumerable<Digest> EnumerateAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        List<Digest> all;
        lock (_lock) all = [.. _blobs.Keys];
        foreach (var d in all) yield return d;
    }

    public ValueTask CreateUploadAsync(string uploadId, CancellationToken ct)
    {
        lock (_lock)
        {
            if (!_uploads.TryAdd(uploadId, new UploadData { LastModified = time.GetUtcNow() }))
                throw new IOException($"upload {uploadId} exists");
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<long?> GetUploadSizeAsync(string uploadId, CancellationToken ct)
    {
        lock (_lock) return ValueTask.FromResult<long?>(_uploads.TryGetValue(uploadId, out var u) ? u.Bytes.Count : null);
    }

    public ValueTask<IUploadWriter?> OpenUploadWriterAsync(string uploadId, long offset, CancellationToken ct)
    {
        lock (_lock)
        {
            if (!_uploads.TryGetValue(uploadId, out var u)) return ValueTask.FromResult<IUploadWriter?>(null);
            if (u.Writing) throw new UploadConflictException("another writer holds the upload data");
            if (u.Bytes.Count != offset) throw new UploadConflictException($"upload data holds {u.Bytes.Count} bytes, not {offset}");
            u.Writing = true;
            return ValueTask.FromResult<IUploadWriter?>(new Writer(this, u, offset));
        }
    }

    public ValueTask<Stream?> OpenUploadReadAsync(string uploadId, CancellationToken ct)
    {
        lock (_lock)
            return ValueTask.FromResult<Stream?>(_uploads.TryGetValue(uploadId, out var u) ? new MemoryStream([.. u.Bytes], writable: false) : null);
    }

    public ValueTask<bool> CommitUploadAsync(string uploadId, Digest digest, long size, CancellationToken ct)
    {
        lock (_lock)
        {
            if (!_uploads.TryGetValue(uploadId, out var u)) return ValueTask.FromResult(false);
            if (u.Writing) throw new UploadConflictException("another writer holds the upload data");
            if (u.Bytes.Count != size) throw new UploadConflictException($"upload data holds {u.Bytes.Count} bytes, not {size}");
            _blobs.TryAdd(digest, [.. u.Bytes]);
            _uploads.Remove(uploadId);
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<bool> DeleteUploadAsync(string uploadId, CancellationToken ct)
    {
        lock (_lock) return ValueTask.FromResult(_uploads.Remove(uploadId));
    }

    public async IAsyncEnumerable<UploadDataInfo> ListUploadsAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        List<UploadDataInfo> all;
        lock (_lock) all = [.. _uploads.Select(kv => new UploadDataInfo(kv.Key, kv.Value.Bytes.Count, kv.Value.LastModified))];
        foreach (var u in all) yield return u;
    }

    private DateTimeOffset Now() => time.GetUtcNow();

    private sealed class UploadData
    {
        public List<byte> Bytes { get; } = [];
        public DateTimeOffset LastModified { get; set; }
        public bool Writing { get; set; }
    }

    private sealed class Writer(InMemoryBlobStore store, UploadData data, long start) : IUploadWriter
    {
        private bool _completed;

        public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
        {
            lock (store._lock)
            {
                data.Bytes.AddRange(bytes.Span);
                data.LastModified = store.Now();
            }
            return ValueTask.CompletedTask;
        }

        public ValueTask CompleteAsync(CancellationToken ct)
        {
            _completed = true;
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            lock (store._lock)
            {
                if (!_completed) data.Bytes.RemoveRange((int)start, data.Bytes.Count - (int)start);
                data.Writing = false;
            }
            return ValueTask.CompletedTask;
        }
    }
}
