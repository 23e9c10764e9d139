using Bollard.Core.Oci;

namespace Bollard.Core.Storage;

/// <summary>
/// Content-addressed blobs shared by all repositories (one copy per digest). Knows nothing of repositories:
/// which repository may see which blob is metadata. Thread-safe.
/// </summary>
public interface IBlobStore
{
    /// <returns>null when the blob does not exist.</returns>
    ValueTask<BlobInfo?> StatAsync(Digest digest, CancellationToken ct);

    /// <summary>Opens the blob for reading; the stream is seekable so that HTTP ranges can be served.</summary>
    /// <returns>null when the blob does not exist.</returns>
    ValueTask<Stream?> OpenReadAsync(Digest digest, CancellationToken ct);

    /// <summary>Starts a new upload session with a fresh, unguessable id.</summary>
    ValueTask<IUploadSession> StartUploadAsync(CancellationToken ct);

    /// <summary>
    /// Finds an upload session by id: the live one, or one rebuilt from its temporary data after a restart.
    /// </summary>
    /// <returns>null when no such session exists (never started, committed, cancelled or expired).</returns>
    ValueTask<IUploadSession?> ResumeUploadAsync(string uploadId, CancellationToken ct);

    /// <summary>Removes temporary upload data untouched since <paramref name="cutoff"/> whose id is not in <paramref name="keep"/>.</summary>
    /// <returns>The ids removed.</returns>
    ValueTask<IReadOnlyList<string>> PurgeUploadsAsync(DateTimeOffset cutoff, IReadOnlySet<string> keep, CancellationToken ct);

    /// <returns>false when the blob did not exist. Idempotent.</returns>
    ValueTask<bool> DeleteAsync(Digest digest, CancellationToken ct);

    IAsyncEnumerable<Digest> EnumerateAsync(CancellationToken ct);
}
