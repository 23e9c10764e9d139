using System.Runtime.CompilerServices;
using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Storage.FileSystem;

/// <summary>
/// Blobs as files, one per digest, shared by all repositories:
/// <code>
/// ROOT/
///   blobs/sha256/ab/abcdef0123...   committed blob, read-only, never rewritten
///   uploads/&lt;32 hex id&gt;            bytes of an upload in progress
/// </code>
/// Only moves bytes; hashing and verification are Core's (<see cref="Core.Registry.BlobUploader"/>). A writer
/// holds its upload file with an exclusive lock (<c>FileShare.None</c>, flock on Linux), so two processes over one
/// folder cannot append to the same upload at once; commit fsyncs the file, checks its size under that lock and
/// renames it into <c>blobs/</c> (atomic; the folder is fsynced too).
/// </summary>
public sealed class FileSystemBlobStore : IBlobStore
{
    private readonly string _blobRoot;
    private readonly string _uploadRoot;

    public FileSystemBlobStore(FileSystemBlobStoreOptions options)
    {
        Options = options;
        _blobRoot = Path.Combine(Path.GetFullPath(options.RootPath), "blobs");
        _uploadRoot = Path.Combine(Path.GetFullPath(options.RootPath), "uploads");
        Directory.CreateDirectory(_blobRoot);
        Directory.CreateDirectory(_uploadRoot);
    }

    internal FileSystemBlobStoreOptions Options { get; }

    public ValueTask<BlobInfo?> StatAsync(Digest digest, CancellationToken ct)
    {
        var file = new FileInfo(BlobPath(digest));
        return ValueTask.FromResult(file.Exists ? new BlobInfo(digest, file.Length) : null);
    }

    public ValueTask<Stream?> OpenReadAsync(Digest digest, ByteRange? range, CancellationToken ct)
    {
        try
        {
            var handle = File.OpenHandle(BlobPath(digest), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
            long offset = range?.Offset ?? 0;
            long length = range?.Length ?? RandomAccess.GetLength(handle) - offset;
            return ValueTask.FromResult<Stream?>(new FileRangeStream(handle, offset, length));
        }
        catch (FileNotFoundException) { return ValueTask.FromResult<Stream?>(null); }
        catch (DirectoryNotFoundException) { return ValueTask.FromResult<Stream?>(null); }
    }

    /// <returns>Always null: a folder has no URL of its own, so Bollard streams the bytes.</returns>
    public ValueTask<Uri?> GetRedirectUriAsync(Digest digest, CancellationToken ct) => ValueTask.FromResult<Uri?>(null);

    public ValueTask<bool> DeleteAsync(Digest digest, CancellationToken ct)
    {
        string path = BlobPath(digest);
        if (!File.Exists(path)) return ValueTask.FromResult(false);
        File.Delete(path);
        return ValueTask.FromResult(true);
    }

    public async IAsyncEnumerable<Digest> EnumerateAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        foreach (var algDir in Directory.EnumerateDirectories(_blobRoot))
        {
            string alg = Path.GetFileName(algDir);
            foreach (var file in Directory.EnumerateFiles(algDir, "*", SearchOption.AllDirectories))
            {
                ct.ThrowIfCancellationRequested();
                if (Digest.TryParse(alg + ":" + Path.GetFileName(file), out var d)) yield return d;
            }
        }
    }

    public ValueTask CreateUploadAsync(string uploadId, CancellationToken ct)
    {
        if (!IsUploadId(uploadId)) throw new ArgumentException("an upload id is 32 lower-case hex characters", nameof(uploadId));
        try
        {
            using (new FileStream(UploadPath(uploadId), FileMode.CreateNew, FileAccess.Write, FileShare.None)) { }
        }
        catch (Exception e) when (FileSystemErrors.TryTranslate(e, out var translated))
        {
            throw translated;
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<long?> GetUploadSizeAsync(string uploadId, CancellationToken ct)
    {
        if (!IsUploadId(uploadId)) return ValueTask.FromResult<long?>(null);
        var file = new FileInfo(UploadPath(uploadId));
        return ValueTask.FromResult<long?>(file.Exists ? file.Length : null);
    }

    public ValueTask<IUploadWriter?> OpenUploadWriterAsync(string uploadId, long offset, CancellationToken ct)
    {
        var file = OpenUploadExclusive(uploadId);
        if (file is null) return ValueTask.FromResult<IUploadWriter?>(null);
        if (file.Length != offset)
        {
            long actual = file.Length;
            file.Dispose();
            throw new UploadConflictException($"upload data holds {actual} bytes, not {offset}");
        }
        try
        {
            return ValueTask.FromResult<IUploadWriter?>(new FileSystemUploadWriter(file, offset, Options.DirectIo));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public ValueTask<Stream?> OpenUploadReadAsync(string uploadId, CancellationToken ct)
    {
        if (!IsUploadId(uploadId)) return ValueTask.FromResult<Stream?>(null);
        try
        {
            var handle = File.OpenHandle(UploadPath(uploadId), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
            return ValueTask.FromResult<Stream?>(new FileRangeStream(handle, 0, RandomAccess.GetLength(handle)));
        }
        catch (FileNotFoundException) { return ValueTask.FromResult<Stream?>(null); }
    }

    public ValueTask<bool> CommitUploadAsync(string uploadId, Digest digest, long size, CancellationToken ct)
    {
        using var file = OpenUploadExclusive(uploadId);
        if (file is null) return ValueTask.FromResult(false);
        if (file.Length != size) throw new UploadConflictException($"upload data holds {file.Length} bytes, not the {size} that were verified");
        try
        {
            if (Options.Fsync) file.Flush(flushToDisk: true);
            // Moved while this handle still holds the lock, so no writer can slip in between the size check and the rename.
            Install(file.Name, digest);
        }
        catch (Exception e) when (FileSystemErrors.TryTranslate(e, out var translated))
        {
            throw translated;
        }
        return ValueTask.FromResult(true);
    }

    /// <summary>
    /// Renames the file into <c>uploads/</c> under a fresh id (on another filesystem <see cref="File.Move(string, string)"/>
    /// copies it there instead: still never a partial blob in <c>blobs/</c>, and a crash leaves only stray upload data,
    /// which expiry removes), checks its size, fsyncs it and installs it like an upload: no second copy, no second hash.
    /// </summary>
    public ValueTask<bool> TryCommitFileAsync(string path, Digest digest, long size, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(path);
        string staged = UploadPath(Guid.NewGuid().ToString("N"));
        try
        {
            File.Move(path, staged, overwrite: false);
            // Readers of the old path may still hold the file open (a client finishing its download): shared, not exclusive.
            using (var file = new FileStream(staged, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None))
            {
                if (file.Length != size)
                {
                    long actual = file.Length;
                    file.Dispose();
                    File.Delete(staged);
                    throw new UploadConflictException($"the file holds {actual} bytes, not the {size} that were verified");
                }
                if (Options.Fsync) file.Flush(flushToDisk: true);
            }
            Install(staged, digest);
        }
        catch (Exception e) when (FileSystemErrors.TryTranslate(e, out var translated))
        {
            throw translated;
        }
        return ValueTask.FromResult(true);
    }

    public ValueTask<bool> DeleteUploadAsync(string uploadId, CancellationToken ct)
    {
        if (!IsUploadId(uploadId)) return ValueTask.FromResult(false);
        string path = UploadPath(uploadId);
        if (!File.Exists(path)) return ValueTask.FromResult(false);
        try { File.Delete(path); }
        catch (FileNotFoundException) { return ValueTask.FromResult(false); }
        return ValueTask.FromResult(true);
    }

    public async IAsyncEnumerable<UploadDataInfo> ListUploadsAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        foreach (var path in Directory.EnumerateFiles(_uploadRoot))
        {
            ct.ThrowIfCancellationRequested();
            var file = new FileInfo(path);
            if (!IsUploadId(file.Name) || !file.Exists) continue;
            yield return new UploadDataInfo(file.Name, file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero));
        }
    }

    internal string BlobPath(Digest digest) =>
        // Digest.Parse admits only lower-case hex of the exact length: no separator can reach this path.
        Path.Combine(_blobRoot, digest.Algorithm.Name, digest.Hex[..2], digest.Hex);

    /// <returns>The upload file opened for writing with an exclusive lock, or null when it does not exist.</returns>
    /// <exception cref="UploadConflictException">Another writer (this process or another) holds it.</exception>
    private FileStream? OpenUploadExclusive(string uploadId)
    {
        if (!IsUploadId(uploadId)) return null;
        string path = UploadPath(uploadId);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 0, FileOptions.Asynchronous);
        }
        catch (FileNotFoundException) { return null; }
        catch (IOException e) when (File.Exists(path))
        {
            throw new UploadConflictException("another writer holds the upload data", e);
        }
    }

    /// <summary>Moves a verified upload file into place; a concurrent commit of the same digest wins harmlessly.</summary>
    private void Install(string tempPath, Digest digest)
    {
        string target = BlobPath(digest);
        string dir = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(dir);
        if (File.Exists(target))
        {
            File.Delete(tempPath);
            return;
        }
        try
        {
            File.Move(tempPath, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            File.Delete(tempPath); // same digest, same bytes: the other upload already installed it
            return;
        }
        if (Options.Fsync) Durability.FsyncDirectory(dir);
    }

    private string UploadPath(string id) => Path.Combine(_uploadRoot, id);

    private static bool IsUploadId(string id)
    {
        if (id.Length != 32) return false;
        foreach (char c in id)
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f'))) return false;
        return true;
    }
}
