using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Core.Registry;

/// <summary>
/// Blob reads, uploads and mounts for one registry. All repository scoping lives here: a blob is served from
/// a repository only when linked into it, and an upload session is usable only through the repository that
/// opened it, whatever the shared blob store holds.
/// </summary>
public sealed class BlobService(IBlobStore blobs, IRepositoryStore repositories, IUploadStore uploads, TimeProvider time)
{
    /// <exception cref="OciException"><c>BLOB_UNKNOWN</c> when the repository does not hold the blob.</exception>
    public async Task<BlobInfo> StatAsync(RepositoryName repository, Digest digest, CancellationToken ct)
    {
        if (!await repositories.IsBlobLinkedAsync(repository, digest, ct).ConfigureAwait(false))
            throw new OciException(OciErrors.BlobUnknown, digest.ToString());
        return await blobs.StatAsync(digest, ct).ConfigureAwait(false)
            ?? throw new OciException(OciErrors.BlobUnknown, digest.ToString());
    }

    /// <exception cref="OciException"><c>BLOB_UNKNOWN</c> when the repository does not hold the blob.</exception>
    public async Task<(BlobInfo Info, Stream Content)> OpenAsync(RepositoryName repository, Digest digest, CancellationToken ct)
    {
        if (!await repositories.IsBlobLinkedAsync(repository, digest, ct).ConfigureAwait(false))
            throw new OciException(OciErrors.BlobUnknown, digest.ToString());
        var stream = await blobs.OpenReadAsync(digest, ct).ConfigureAwait(false)
            ?? throw new OciException(OciErrors.BlobUnknown, digest.ToString());
        return (new BlobInfo(digest, stream.Length), stream);
    }

    /// <summary>Unlinks the blob from the repository; the bytes stay for other repositories until garbage collection.</summary>
    public async Task DeleteAsync(RepositoryName repository, Digest digest, CancellationToken ct)
    {
        if (!await repositories.UnlinkBlobAsync(repository, digest, ct).ConfigureAwait(false))
            throw new OciException(OciErrors.BlobUnknown, digest.ToString());
    }

    /// <summary>
    /// Cross-repository mount (distribution-spec end-11). With <paramref name="from"/>, the blob must be linked
    /// there; without it, in any repository. Either way only repositories the caller may read count
    /// (<paramref name="canRead"/>), so a mount never reveals a blob the caller could not pull (Zot
    /// CVE-2024-39897 class). Returns null when the mount is not possible: the caller then opens a normal
    /// upload (202), which looks the same whether or not the blob exists elsewhere.
    /// </summary>
    public async Task<BlobInfo?> TryMountAsync(
        RepositoryName repository, Digest digest, RepositoryName? from, Func<RepositoryName, ValueTask<bool>> canRead, CancellationToken ct)
    {
        bool linked = false;
        if (from is { } source)
            linked = await canRead(source).ConfigureAwait(false) && await repositories.IsBlobLinkedAsync(source, digest, ct).ConfigureAwait(false);
        else
            foreach (var candidate in await repositories.ListLinkingAsync(digest, 100, ct).ConfigureAwait(false))
                if (await canRead(candidate).ConfigureAwait(false)) { linked = true; break; }
        if (!linked) return null;
        var info = await blobs.StatAsync(digest, ct).ConfigureAwait(false);
        if (info is null) return null;
        await repositories.LinkBlobAsync(repository, digest, info.Size, ct).ConfigureAwait(false);
        return info;
    }

    /// <param name="owner">Who opened it; only the same principal may continue, read or cancel it.</param>
    public async Task<UploadStatus> StartUploadAsync(RepositoryName repository, string owner, CancellationToken ct)
    {
        var session = await blobs.StartUploadAsync(ct).ConfigureAwait(false);
        var now = time.GetUtcNow();
        await uploads.CreateAsync(new UploadRecord(session.Id, repository, now, now) { Owner = owner }, ct).ConfigureAwait(false);
        return new UploadStatus(session.Id, 0);
    }

    /// <summary>Single-request upload (POST with <c>?digest=</c>); nothing remains when it fails.</summary>
    public async Task<BlobInfo> UploadMonolithicAsync(RepositoryName repository, Digest digest, Stream body, long? contentLength, CancellationToken ct)
    {
        var session = await blobs.StartUploadAsync(ct).ConfigureAwait(false);
        try
        {
            await session.AppendAsync(body, null, contentLength, ct).ConfigureAwait(false);
            var info = await session.CommitAsync(digest, contentLength, ct).ConfigureAwait(false);
            await repositories.LinkBlobAsync(repository, digest, info.Size, ct).ConfigureAwait(false);
            return info;
        }
        catch
        {
            await session.CancelAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    public async Task<UploadStatus> GetUploadAsync(RepositoryName repository, string uploadId, string owner, CancellationToken ct)
    {
        var (_, session) = await FindAsync(repository, uploadId, owner, ct).ConfigureAwait(false);
        return new UploadStatus(session.Id, session.Length);
    }

    /// <summary>Appends a chunk (PATCH). <paramref name="start"/>/<paramref name="length"/> come from <c>Content-Range</c>.</summary>
    public async Task<UploadStatus> AppendAsync(RepositoryName repository, string uploadId, string owner, Stream body, long? start, long? length, CancellationToken ct)
    {
        var (_, session) = await FindAsync(repository, uploadId, owner, ct).ConfigureAwait(false);
        long newLength = await session.AppendAsync(body, start, length, ct).ConfigureAwait(false);
        await uploads.TouchAsync(uploadId, time.GetUtcNow(), ct).ConfigureAwait(false);
        return new UploadStatus(session.Id, newLength);
    }

    /// <summary>Closes an upload (PUT with <c>?digest=</c>), with an optional final chunk.</summary>
    public async Task<BlobInfo> CompleteUploadAsync(
        RepositoryName repository, string uploadId, string owner, Digest digest, Stream? finalChunk, long? start, long? length, CancellationToken ct)
    {
        var (_, session) = await FindAsync(repository, uploadId, owner, ct).ConfigureAwait(false);
        if (finalChunk is not null && (length is null or > 0))
            await session.AppendAsync(finalChunk, start, length, ct).ConfigureAwait(false);
        BlobInfo info;
        try
        {
            info = await session.CommitAsync(digest, null, ct).ConfigureAwait(false);
        }
        catch (OciException)
        {
            // The session removed its data; forget it so the id is unknown from now on.
            await uploads.DeleteAsync(uploadId, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        // Order matters for crash safety: blob durable in the store, then linked, then the session forgotten.
        await repositories.LinkBlobAsync(repository, digest, info.Size, ct).ConfigureAwait(false);
        await uploads.DeleteAsync(uploadId, ct).ConfigureAwait(false);
        return info;
    }

    public async Task CancelUploadAsync(RepositoryName repository, string uploadId, string owner, CancellationToken ct)
    {
        var (_, session) = await FindAsync(repository, uploadId, owner, ct).ConfigureAwait(false);
        await session.CancelAsync(ct).ConfigureAwait(false);
        await uploads.DeleteAsync(uploadId, ct).ConfigureAwait(false);
    }

    /// <summary>Removes upload sessions untouched since <c>now - expiry</c>, and stray upload data without a session.</summary>
    /// <returns>How many sessions or stray files were removed.</returns>
    public async Task<int> PurgeExpiredUploadsAsync(TimeSpan expiry, CancellationToken ct)
    {
        var cutoff = time.GetUtcNow() - expiry;
        int removed = 0;
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var upload in await uploads.ListAsync(ct).ConfigureAwait(false))
        {
            if (upload.UpdatedAt >= cutoff) { live.Add(upload.Id); continue; }
            var session = await blobs.ResumeUploadAsync(upload.Id, ct).ConfigureAwait(false);
            if (session is not null) await session.CancelAsync(ct).ConfigureAwait(false);
            await uploads.DeleteAsync(upload.Id, ct).ConfigureAwait(false);
            removed++;
        }
        removed += (await blobs.PurgeUploadsAsync(cutoff, live, ct).ConfigureAwait(false)).Count;
        return removed;
    }

    private async Task<(UploadRecord, IUploadSession)> FindAsync(RepositoryName repository, string uploadId, string owner, CancellationToken ct)
    {
        var record = await uploads.GetAsync(uploadId, ct).ConfigureAwait(false);
        // An upload opened through another repository or by another principal is unknown here (Quay CVE-2026-32589 class).
        if (record is null || record.Repository != repository || record.Owner != owner)
            throw new OciException(OciErrors.BlobUploadUnknown, "no such upload in this repository");
        var session = await blobs.ResumeUploadAsync(uploadId, ct).ConfigureAwait(false);
        if (session is null)
        {
            await uploads.DeleteAsync(uploadId, ct).ConfigureAwait(false);
            throw new OciException(OciErrors.BlobUploadUnknown, "upload data is gone");
        }
        return (record, session);
    }
}
