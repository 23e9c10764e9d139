using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
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
/// An upload streams into its temp file while hashing; commit fsyncs it, verifies size and digest and
/// renames it into <c>blobs/</c> (atomic; the folder is fsynced too). Live sessions keep their hasher in
/// memory; a session found only on disk (after a restart) re-hashes its file once.
/// </summary>
public sealed class FileSystemBlobStore : IBlobStore
{
    private const int BufferSize = 256 * 1024;
    private readonly ConcurrentDictionary<string, FileSystemUploadSession> _live = new(StringComparer.Ordinal);
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

    public ValueTask<Stream?> OpenReadAsync(Digest digest, CancellationToken ct)
    {
        try
        {
            Stream s = new FileStream(BlobPath(digest), new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 0, // the response copy has its own buffer
            });
            return ValueTask.FromResult<Stream?>(s);
        }
        catch (FileNotFoundException) { return ValueTask.FromResult<Stream?>(null); }
        catch (DirectoryNotFoundException) { return ValueTask.FromResult<Stream?>(null); }
    }

    public ValueTask<IUploadSession> StartUploadAsync(CancellationToken ct)
    {
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        string path = UploadPath(id);
        using (File.Create(path)) { }
        var session = new FileSystemUploadSession(this, id, path, 0, freshHash: true);
        _live[id] = session;
        return ValueTask.FromResult<IUploadSession>(session);
    }

    public ValueTask<IUploadSession?> ResumeUploadAsync(string uploadId, CancellationToken ct)
    {
        if (!IsUploadId(uploadId)) return ValueTask.FromResult<IUploadSession?>(null);
        if (_live.TryGetValue(uploadId, out var live)) return ValueTask.FromResult<IUploadSession?>(live);
        var file = new FileInfo(UploadPath(uploadId));
        if (!file.Exists) return ValueTask.FromResult<IUploadSession?>(null);
        var session = _live.GetOrAdd(uploadId, id => new FileSystemUploadSession(this, id, file.FullName, file.Length, freshHash: false));
        return ValueTask.FromResult<IUploadSession?>(session);
    }

    public ValueTask<IReadOnlyList<string>> PurgeUploadsAsync(DateTimeOffset cutoff, IReadOnlySet<string> keep, CancellationToken ct)
    {
        var removed = new List<string>();
        foreach (var path in Directory.EnumerateFiles(_uploadRoot))
        {
            string id = Path.GetFileName(path);
            if (keep.Contains(id)) continue;
            if (File.GetLastWriteTimeUtc(path) >= cutoff.UtcDateTime) continue;
            _live.TryRemove(id, out _);
            try { File.Delete(path); removed.Add(id); }
            catch (IOException) { }
        }
        return ValueTask.FromResult<IReadOnlyList<string>>(removed);
    }

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

    internal static int CopyBufferSize => BufferSize;

    internal string BlobPath(Digest digest) =>
        // Digest.Parse admits only lower-case hex of the exact length: no separator can reach this path.
        Path.Combine(_blobRoot, digest.Algorithm.Name, digest.Hex[..2], digest.Hex);

    internal void Forget(string id) => _live.TryRemove(id, out _);

    /// <summary>Moves a verified temp file into place; a concurrent commit of the same digest wins harmlessly.</summary>
    internal void Install(string tempPath, Digest digest)
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
