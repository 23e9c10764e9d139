using Bollard.Core.Oci;

namespace Bollard.Core.Storage;

/// <summary>
/// Where blob bytes live: content-addressed blobs shared by all repositories (one copy per digest), and the
/// data of uploads in progress. A backend only moves bytes: it does not hash, verify, expire or decide who may
/// see what. Upload logic (hashing while streaming, offset checks, rollback, digest and size verification,
/// expiry) is written once in <see cref="Registry.BlobUploader"/>; repository scoping in
/// <see cref="Registry.BlobService"/>. Thread-safe, and safe to share between processes over the same storage.
/// </summary>
public interface IBlobStore
{
    /// <returns>null when the blob does not exist. The size comes from the backend's metadata, never from a stream.</returns>
    ValueTask<BlobInfo?> StatAsync(Digest digest, CancellationToken ct);

    /// <summary>
    /// Opens the blob, or the part of it that <paramref name="range"/> names (which the caller has clamped to the
    /// size from <see cref="StatAsync"/>), for one forward read. The stream need not be seekable and need not
    /// know its length: it yields the bytes of the range and then ends.
    /// </summary>
    /// <returns>null when the blob does not exist.</returns>
    ValueTask<Stream?> OpenReadAsync(Digest digest, ByteRange? range, CancellationToken ct);

    /// <returns>A URL the client may fetch the blob from directly (e.g. a pre-signed object-store URL), or null to
    /// stream it through Bollard. Called only for a blob the caller may read.</returns>
    ValueTask<Uri?> GetRedirectUriAsync(Digest digest, CancellationToken ct);

    /// <returns>false when the blob did not exist. Idempotent.</returns>
    ValueTask<bool> DeleteAsync(Digest digest, CancellationToken ct);

    IAsyncEnumerable<Digest> EnumerateAsync(CancellationToken ct);

    /// <summary>Creates empty upload data for <paramref name="uploadId"/> (32 lower-case hex characters, chosen by Core).</summary>
    /// <exception cref="ArgumentException">The id is malformed.</exception>
    /// <exception cref="IOException">Upload data with that id exists already.</exception>
    ValueTask CreateUploadAsync(string uploadId, CancellationToken ct);

    /// <returns>How many bytes the upload data holds now, or null when there is no such upload data (or the id is malformed).</returns>
    ValueTask<long?> GetUploadSizeAsync(string uploadId, CancellationToken ct);

    /// <summary>
    /// Opens a writer that appends to the upload data at <paramref name="offset"/>. The check that the data holds
    /// exactly <paramref name="offset"/> bytes and the writes that follow are atomic against other writers (in
    /// this process or another over the same storage): a second writer cannot open until this one is disposed.
    /// </summary>
    /// <returns>null when there is no such upload data.</returns>
    /// <exception cref="UploadConflictException">The data does not hold exactly <paramref name="offset"/> bytes, or
    /// another writer holds it.</exception>
    ValueTask<IUploadWriter?> OpenUploadWriterAsync(string uploadId, long offset, CancellationToken ct);

    /// <summary>Opens the upload data for one forward read from its start (to hash it again).</summary>
    /// <returns>null when there is no such upload data.</returns>
    ValueTask<Stream?> OpenUploadReadAsync(string uploadId, CancellationToken ct);

    /// <summary>
    /// Makes the upload data durable and moves it to the blob <paramref name="digest"/> (atomically: the blob
    /// appears whole or not at all), provided it still holds exactly <paramref name="size"/> bytes. The caller has
    /// verified the digest. When the blob exists already (same digest, same bytes) the data is just dropped.
    /// Afterwards the upload data no longer exists.
    /// </summary>
    /// <returns>false when there is no such upload data.</returns>
    /// <exception cref="UploadConflictException">The data does not hold <paramref name="size"/> bytes (it changed
    /// since it was verified), or a writer holds it; nothing is moved.</exception>
    ValueTask<bool> CommitUploadAsync(string uploadId, Digest digest, long size, CancellationToken ct);

    /// <summary>
    /// Moves a complete local file, whose bytes the caller has verified to be <paramref name="digest"/>'s, into the
    /// store without reading it again (the mirror's spool, <see cref="Mirror.BlobFetches"/>): made durable and installed
    /// atomically, as <see cref="CommitUploadAsync"/> does. No writer may hold the file any more; readers may.
    /// When the blob exists already the file is just dropped. Afterwards the file is gone from <paramref name="path"/>.
    /// A store that cannot take a file returns false (the default) and leaves it; the caller then copies the bytes
    /// through an upload.
    /// </summary>
    /// <exception cref="UploadConflictException">The file does not hold <paramref name="size"/> bytes; nothing is installed.</exception>
    ValueTask<bool> TryCommitFileAsync(string path, Digest digest, long size, CancellationToken ct) => ValueTask.FromResult(false);

    /// <returns>false when there was no such upload data. Idempotent.</returns>
    ValueTask<bool> DeleteUploadAsync(string uploadId, CancellationToken ct);

    /// <summary>All upload data with its size and last-modified time (for expiry of data without a session).</summary>
    IAsyncEnumerable<UploadDataInfo> ListUploadsAsync(CancellationToken ct);
}
