using Bollard.Core.Gc;
using Bollard.Core.Oci;
using Bollard.Core.Registry.Hooks;
using Bollard.Core.Storage;

namespace Bollard.Core.Registry;

/// <summary>
/// Blob uploads, mounts and deletes for one registry (reads are <see cref="IBlobReader"/>, by default
/// <see cref="StoredBlobReader"/>, which serves a blob from a repository only when linked into it). An upload
/// session is usable only through the repository that opened it, whatever the shared blob store holds. Upload bytes go through <see cref="BlobUploader"/>.
/// </summary>
public sealed class BlobService(
    IBlobStore blobs, IRepositoryStore repositories, IUploadStore uploads, IMetadataStore metadata, IBlobPins pins, RegistryOptions options, TimeProvider time,
    IEnumerable<IUploadCheck>? uploadChecks = null)
{
    /// <summary>How long a pin protects a digest from GC if its linker dies before unpinning.</summary>
    internal static readonly TimeSpan PinLifetime = TimeSpan.FromMinutes(10);

    /// <summary>How often, and how many times, a linker looks again while GC deletes the same digest (about 30 s).</summary>
    private static readonly TimeSpan PinRetryDelay = TimeSpan.FromMilliseconds(25);
    private const int PinAttempts = 1200;

    private readonly BlobUploader _uploader = new(blobs);
    private readonly IUploadCheck[] _uploadChecks = uploadChecks?.ToArray() ?? [];

    /// <summary>Asks every <see cref="IUploadCheck"/>; the first refusal throws.</summary>
    private async Task CheckUploadAsync(RepositoryName repository, RegistryActor actor, CancellationToken ct)
    {
        foreach (var check in _uploadChecks)
        {
            var result = await check.CheckAsync(repository, actor, ct).ConfigureAwait(false);
            if (!result.Allowed) throw new OciException(result.Error!, result.Reason);
        }
    }

    /// <summary>Unlinks the blob from the repository; the bytes stay for other repositories until garbage collection.</summary>
    /// <exception cref="OciException"><c>BLOB_UNKNOWN</c>; <c>DENIED</c> while a manifest of the repository references the blob (B13).</exception>
    public async Task DeleteAsync(RepositoryName repository, Digest digest, RegistryActor actor, CancellationToken ct)
    {
        var tx = await metadata.BeginWriteAsync(ct).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            if (!await tx.IsBlobLinkedAsync(repository, digest, ct).ConfigureAwait(false))
                throw new OciException(OciErrors.BlobUnknown, digest.ToString());
            if (await tx.FindReferencingManifestAsync(repository, digest, ReferenceKind.Blob, ct).ConfigureAwait(false) is { } manifest)
                throw new OciException(OciErrors.Denied, $"blob {digest} is used by manifest {manifest} in {repository}; delete the manifest first");
            await tx.UnlinkBlobAsync(repository, digest, ct).ConfigureAwait(false);
            await tx.AppendEventAsync(RegistryWrites.Event(Events.RegistryEventKind.BlobDeleted, repository, actor, time.GetUtcNow()) with { Digest = digest }, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Cross-repository mount (distribution-spec end-11). With <paramref name="from"/>, the blob must be linked
    /// there; without it, in any repository. Either way only repositories the caller may read count
    /// (<paramref name="canRead"/>), so a mount never reveals a blob the caller could not pull (Zot
    /// CVE-2024-39897 class). Returns null when the mount is not possible: the caller then opens a normal
    /// upload (202), which looks the same whether or not the blob exists elsewhere.
    /// </summary>
    public async Task<BlobInfo?> TryMountAsync(
        RepositoryName repository, Digest digest, RepositoryName? from, Func<RepositoryName, ValueTask<bool>> canRead, RegistryActor actor, CancellationToken ct)
    {
        bool linked = false;
        if (from is { } source)
            linked = await canRead(source).ConfigureAwait(false) && await repositories.IsBlobLinkedAsync(source, digest, ct).ConfigureAwait(false);
        else
            foreach (var candidate in await repositories.ListLinkingAsync(digest, 100, ct).ConfigureAwait(false))
                if (await canRead(candidate).ConfigureAwait(false)) { linked = true; break; }
        if (!linked) return null;
        await using var pin = await PinAsync(digest, ct).ConfigureAwait(false);
        // Stat after the pin: GC may have deleted the bytes just before it, never after.
        var info = await blobs.StatAsync(digest, ct).ConfigureAwait(false);
        if (info is null) return null;
        await CheckUploadAsync(repository, actor, ct).ConfigureAwait(false);
        await RegistryWrites.LinkBlobAsync(metadata, repository, info, "mount", actor, time.GetUtcNow(), ct).ConfigureAwait(false);
        return info;
    }

    /// <param name="owner">Who opened it; only the same principal may continue, read or cancel it.</param>
    /// <exception cref="OciException">429 <c>TOOMANYREQUESTS</c> when <paramref name="owner"/> already has
    /// <see cref="RegistryOptions.MaxOpenUploadsPerPrincipal"/> sessions open (issue 6 B14).</exception>
    public async Task<UploadStatus> StartUploadAsync(RepositoryName repository, string owner, CancellationToken ct)
    {
        await CheckUploadAsync(repository, new RegistryActor(owner, ""), ct).ConfigureAwait(false);
        string id = BlobUploader.NewId();
        var now = time.GetUtcNow();
        // The row first: its insert is where the cap is enforced atomically. A crash before the data exists leaves
        // a row whose data is gone, which the next use or the expiry sweep removes.
        if (!await uploads.TryCreateAsync(new UploadRecord(id, repository, now, now) { Owner = owner }, options.MaxOpenUploadsPerPrincipal, ct).ConfigureAwait(false))
            throw new OciException(OciErrors.TooManyRequests,
                $"{options.MaxOpenUploadsPerPrincipal} upload sessions are open for this account (Registry:MaxOpenUploadsPerPrincipal); finish or cancel one, or wait for them to expire");
        try
        {
            await _uploader.CreateAsync(id, ct).ConfigureAwait(false);
        }
        catch
        {
            await uploads.DeleteAsync(id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        return new UploadStatus(id, 0);
    }

    /// <summary>Single-request upload (POST with <c>?digest=</c>); nothing remains when it fails.</summary>
    public async Task<BlobInfo> UploadMonolithicAsync(RepositoryName repository, Digest digest, Stream body, long? contentLength, RegistryActor actor, CancellationToken ct)
    {
        await CheckUploadAsync(repository, actor, ct).ConfigureAwait(false);
        // No session row: the upload lives only as long as this request, so it does not count against the cap.
        string id = BlobUploader.NewId();
        await _uploader.CreateAsync(id, ct).ConfigureAwait(false);
        try
        {
            await _uploader.AppendAsync(id, body, null, contentLength, ct).ConfigureAwait(false);
            await using var pin = await PinAsync(digest, ct).ConfigureAwait(false);
            var info = await _uploader.CommitAsync(id, digest, contentLength, ct).ConfigureAwait(false);
            // Asked again before the link: uploads that finished meanwhile may have used the room up.
            await CheckUploadAsync(repository, actor, ct).ConfigureAwait(false);
            await RegistryWrites.LinkBlobAsync(metadata, repository, info, "upload", actor, time.GetUtcNow(), ct).ConfigureAwait(false);
            return info;
        }
        catch
        {
            await _uploader.CancelAsync(id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Stores a blob whose bytes the caller has already hashed and verified, from a local file it owns (the mirror's
    /// spool): the store takes the file as it is where it can (<see cref="IBlobStore.TryCommitFileAsync"/>: fsync and
    /// rename, no second copy or hash), else the bytes go through <see cref="UploadMonolithicAsync"/> (verified again).
    /// Same rules as an upload: upload checks before and after, pinned against GC from the commit to the link, linked
    /// with its event. Afterwards the file is gone, or still at <paramref name="path"/> for the caller to delete.
    /// </summary>
    internal async Task<BlobInfo> CommitVerifiedFileAsync(RepositoryName repository, Digest digest, string path, long size, RegistryActor actor, CancellationToken ct)
    {
        await CheckUploadAsync(repository, actor, ct).ConfigureAwait(false);
        await using (var pin = (await PinAsync(digest, ct).ConfigureAwait(false)).ConfigureAwait(false))
        {
            if (await blobs.TryCommitFileAsync(path, digest, size, ct).ConfigureAwait(false))
            {
                var info = new BlobInfo(digest, size);
                // Asked again before the link: uploads that finished meanwhile may have used the room up (the bytes stay unlinked, for GC).
                await CheckUploadAsync(repository, actor, ct).ConfigureAwait(false);
                await RegistryWrites.LinkBlobAsync(metadata, repository, info, "upload", actor, time.GetUtcNow(), ct).ConfigureAwait(false);
                return info;
            }
        }
        var source = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan, BufferSize = 0,
        });
        await using (source.ConfigureAwait(false))
            return await UploadMonolithicAsync(repository, digest, source, size, actor, ct).ConfigureAwait(false);
    }

    public async Task<UploadStatus> GetUploadAsync(RepositoryName repository, string uploadId, string owner, CancellationToken ct)
    {
        long length = await FindAsync(repository, uploadId, owner, ct).ConfigureAwait(false);
        return new UploadStatus(uploadId, length);
    }

    /// <summary>Appends a chunk (PATCH). <paramref name="start"/>/<paramref name="length"/> come from <c>Content-Range</c>.</summary>
    public async Task<UploadStatus> AppendAsync(RepositoryName repository, string uploadId, string owner, Stream body, long? start, long? length, CancellationToken ct)
    {
        await FindAsync(repository, uploadId, owner, ct).ConfigureAwait(false);
        long newLength = await _uploader.AppendAsync(uploadId, body, start, length, ct).ConfigureAwait(false);
        await uploads.TouchAsync(uploadId, time.GetUtcNow(), ct).ConfigureAwait(false);
        return new UploadStatus(uploadId, newLength);
    }

    /// <summary>Closes an upload (PUT with <c>?digest=</c>), with an optional final chunk.</summary>
    public async Task<BlobInfo> CompleteUploadAsync(
        RepositoryName repository, string uploadId, string owner, Digest digest, Stream? finalChunk, long? start, long? length, RegistryActor actor, CancellationToken ct)
    {
        await FindAsync(repository, uploadId, owner, ct).ConfigureAwait(false);
        if (finalChunk is not null && (length is null or > 0))
            await _uploader.AppendAsync(uploadId, finalChunk, start, length, ct).ConfigureAwait(false);
        // Pinned from before the bytes move into the store until they are linked: GC cannot delete them in between
        // (a blob that exists already is not written again, so its bytes must not go under us).
        await using var pin = await PinAsync(digest, ct).ConfigureAwait(false);
        BlobInfo info;
        try
        {
            info = await _uploader.CommitAsync(uploadId, digest, null, ct).ConfigureAwait(false);
        }
        catch (OciException)
        {
            // The uploader removed the data; forget the session so the id is unknown from now on.
            await uploads.DeleteAsync(uploadId, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        try
        {
            await CheckUploadAsync(repository, actor, ct).ConfigureAwait(false);
        }
        catch (OciException)
        {
            // Refused (e.g. over quota): the bytes stay unlinked, for garbage collection; the session is over.
            await uploads.DeleteAsync(uploadId, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        // Order matters for crash safety: blob durable in the store, then linked, then the session forgotten.
        await RegistryWrites.LinkBlobAsync(metadata, repository, info, "upload", actor, time.GetUtcNow(), ct).ConfigureAwait(false);
        await uploads.DeleteAsync(uploadId, ct).ConfigureAwait(false);
        return info;
    }

    public async Task CancelUploadAsync(RepositoryName repository, string uploadId, string owner, CancellationToken ct)
    {
        await FindAsync(repository, uploadId, owner, ct).ConfigureAwait(false);
        await _uploader.CancelAsync(uploadId, ct).ConfigureAwait(false);
        await uploads.DeleteAsync(uploadId, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Cancels every upload session opened through <paramref name="repository"/> (its data and its row), as a
    /// repository delete does: a client still sending chunks then gets <c>BLOB_UPLOAD_UNKNOWN</c>. Idempotent.
    /// </summary>
    /// <returns>How many sessions were cancelled.</returns>
    public async Task<int> CancelUploadsAsync(RepositoryName repository, CancellationToken ct)
    {
        int cancelled = 0;
        foreach (var upload in await uploads.ListAsync(ct).ConfigureAwait(false))
        {
            if (upload.Repository != repository) continue;
            await _uploader.CancelAsync(upload.Id, ct).ConfigureAwait(false);
            await uploads.DeleteAsync(upload.Id, ct).ConfigureAwait(false);
            cancelled++;
        }
        return cancelled;
    }

    /// <summary>
    /// The expiry policy, for every backend: removes upload sessions untouched since <c>now - expiry</c> with their
    /// data, and upload data without a session that was last written before that (left by a crash between the
    /// data and the row, or by a node that died).
    /// </summary>
    /// <returns>How many sessions or stray upload data were removed.</returns>
    public async Task<int> PurgeExpiredUploadsAsync(TimeSpan expiry, CancellationToken ct)
    {
        var cutoff = time.GetUtcNow() - expiry;
        int removed = 0;
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var upload in await uploads.ListAsync(ct).ConfigureAwait(false))
        {
            if (upload.UpdatedAt >= cutoff) { live.Add(upload.Id); continue; }
            await _uploader.CancelAsync(upload.Id, ct).ConfigureAwait(false);
            await uploads.DeleteAsync(upload.Id, ct).ConfigureAwait(false);
            removed++;
        }
        // Listed after the rows: data created since has a row we did not see, but it is newer than the cutoff.
        var stray = new List<string>();
        await foreach (var data in blobs.ListUploadsAsync(ct).ConfigureAwait(false))
            if (!live.Contains(data.Id) && data.LastModified < cutoff) stray.Add(data.Id);
        foreach (var id in stray)
        {
            await _uploader.CancelAsync(id, ct).ConfigureAwait(false);
            removed++;
        }
        return removed;
    }

    /// <summary>Pins <paramref name="digest"/> against GC (<see cref="IBlobPins"/>), waiting while GC deletes it.</summary>
    /// <exception cref="OciException"><c>UNAVAILABLE</c> (503) when GC still deletes it after about 30 s.</exception>
    private async Task<Pin> PinAsync(Digest digest, CancellationToken ct)
    {
        string token = BlobUploader.NewId();
        for (int attempt = 0; attempt < PinAttempts; attempt++)
        {
            if (await pins.TryPinAsync(digest, token, PinLifetime, ct).ConfigureAwait(false)) return new Pin(pins, token);
            await Task.Delay(PinRetryDelay, time, ct).ConfigureAwait(false);
        }
        throw new OciException(OciErrors.Unavailable, $"blob {digest} is being garbage-collected; retry");
    }

    private sealed class Pin(IBlobPins pins, string token) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await pins.UnpinAsync(token, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or System.Data.Common.DbException)
            {
                // The pin expires (PinLifetime); until then GC only keeps the blob a little longer.
            }
        }
    }

    /// <returns>The stored length of the upload.</returns>
    private async Task<long> FindAsync(RepositoryName repository, string uploadId, string owner, CancellationToken ct)
    {
        var record = await uploads.GetAsync(uploadId, ct).ConfigureAwait(false);
        // An upload opened through another repository or by another principal is unknown here (Quay CVE-2026-32589 class).
        if (record is null || record.Repository != repository || record.Owner != owner)
            throw new OciException(OciErrors.BlobUploadUnknown, "no such upload in this repository");
        if (await _uploader.GetLengthAsync(uploadId, ct).ConfigureAwait(false) is { } length) return length;
        await uploads.DeleteAsync(uploadId, ct).ConfigureAwait(false);
        throw new OciException(OciErrors.BlobUploadUnknown, "upload data is gone");
    }
}
