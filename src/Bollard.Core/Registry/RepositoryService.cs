using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Registry.Hooks;
using Bollard.Core.Storage;

namespace Bollard.Core.Registry;

/// <summary>
/// Deleting a whole repository (issue 7): its tags, manifests (referrers included), blob links and upload sessions,
/// each removal with its normal event (<see cref="RegistryEventKind.TagDeleted"/> with
/// <see cref="RegistryEvent.CascadeDetail"/>, <see cref="RegistryEventKind.ManifestDeleted"/>,
/// <see cref="RegistryEventKind.BlobDeleted"/>) and finally <see cref="RegistryEventKind.RepositoryDeleted"/>. Only
/// metadata goes: garbage collection later frees the bytes that no other repository links.
/// </summary>
/// <remarks>
/// Every <see cref="IPushCheck"/> is asked with <see cref="RegistryChange.DeleteRepository"/>, once per tag and once
/// per untagged manifest, in one transaction before anything is written; the first refusal refuses the whole
/// delete and nothing is deleted. A repository with at most <see cref="BatchSize"/> manifests and links is then
/// deleted in that same transaction. A larger one is deleted in batches of <see cref="BatchSize"/>, one transaction
/// each (so the writer is never held for long); each batch asks the checks again for what it removes, so a rule
/// added meanwhile still holds (a refusal then stops the delete part way, with the reason, and what is left stays
/// whole: every batch removes complete manifests). Pushes that arrive during a large delete are deleted too when
/// they land before the last batch, or recreate the repository after it.
/// </remarks>
public sealed class RepositoryService(IMetadataStore metadata, IEnumerable<IPushCheck> pushChecks, BlobService blobs, TimeProvider time)
{
    /// <summary>How many manifests (or blob links) one delete transaction removes at most.</summary>
    public const int BatchSize = 500;

    private readonly IPushCheck[] _pushChecks = pushChecks.ToArray();

    /// <exception cref="OciException"><c>NAME_UNKNOWN</c> when there is no such repository; a push check's refusal
    /// (<c>DENIED</c> by default) with its reason, and then nothing was deleted.</exception>
    public async Task<RepositoryDeletion> DeleteAsync(RepositoryName repository, RegistryActor actor, CancellationToken ct)
    {
        int tags = 0, manifests = 0, links = 0;
        bool done;
        var tx = await metadata.BeginWriteAsync(ct).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            if (!await tx.RepositoryExistsAsync(repository, ct).ConfigureAwait(false))
                throw new OciException(OciErrors.NameUnknown, repository.ToString());
            // Every check first, over the whole repository: a refusal leaves everything as it was.
            int total = 0;
            Digest? after = null;
            while (true)
            {
                var page = await tx.ListManifestsAsync(repository, after, BatchSize, ct).ConfigureAwait(false);
                foreach (var digest in page) await CheckAsync(tx, repository, digest, actor, ct).ConfigureAwait(false);
                total += page.Count;
                if (page.Count < BatchSize) break;
                after = page[^1];
            }
            bool small = total <= BatchSize && (await tx.ListBlobLinksAsync(repository, null, BatchSize + 1, ct).ConfigureAwait(false)).Count <= BatchSize;
            if (!small) done = false;
            else
            {
                (tags, manifests, links, done) = await DeleteBatchAsync(tx, repository, actor, check: false, ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
            }
        }
        while (!done)
        {
            var batch = await metadata.BeginWriteAsync(ct).ConfigureAwait(false);
            await using (batch.ConfigureAwait(false))
            {
                if (!await batch.RepositoryExistsAsync(repository, ct).ConfigureAwait(false)) break; // deleted by someone else meanwhile
                var (t, m, l, finished) = await DeleteBatchAsync(batch, repository, actor, check: true, ct).ConfigureAwait(false);
                await batch.CommitAsync(ct).ConfigureAwait(false);
                (tags, manifests, links, done) = (tags + t, manifests + m, links + l, finished);
            }
        }
        // After the commit: a chunk arriving meanwhile goes to a session that no longer exists (BLOB_UPLOAD_UNKNOWN).
        int uploads = await blobs.CancelUploadsAsync(repository, ct).ConfigureAwait(false);
        return new RepositoryDeletion(tags, manifests, links, uploads);
    }

    /// <summary>Removes up to <see cref="BatchSize"/> manifests, then (when none are left) up to that many links, then the repository.</summary>
    private async Task<(int Tags, int Manifests, int Links, bool Finished)> DeleteBatchAsync(
        IMetadataTransaction tx, RepositoryName repository, RegistryActor actor, bool check, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        int tagCount = 0;
        var page = await tx.ListManifestsAsync(repository, null, BatchSize, ct).ConfigureAwait(false);
        if (check)
            foreach (var digest in page) await CheckAsync(tx, repository, digest, actor, ct).ConfigureAwait(false);
        foreach (var digest in page)
        {
            var tags = await tx.ListTagsOfAsync(repository, digest, ct).ConfigureAwait(false);
            await tx.DeleteManifestAsync(repository, digest, ct).ConfigureAwait(false);
            foreach (string tag in tags)
                await tx.AppendEventAsync(Event(RegistryEventKind.TagDeleted, repository, actor, now) with { Digest = digest, Tag = tag, Detail = RegistryEvent.CascadeDetail }, ct).ConfigureAwait(false);
            await tx.AppendEventAsync(Event(RegistryEventKind.ManifestDeleted, repository, actor, now) with { Digest = digest }, ct).ConfigureAwait(false);
            tagCount += tags.Count;
        }
        if (page.Count == BatchSize) return (tagCount, page.Count, 0, false);
        var links = await tx.ListBlobLinksAsync(repository, null, BatchSize, ct).ConfigureAwait(false);
        foreach (var digest in links)
        {
            await tx.UnlinkBlobAsync(repository, digest, ct).ConfigureAwait(false);
            await tx.AppendEventAsync(Event(RegistryEventKind.BlobDeleted, repository, actor, now) with { Digest = digest }, ct).ConfigureAwait(false);
        }
        if (links.Count == BatchSize) return (tagCount, page.Count, links.Count, false);
        await tx.DeleteRepositoryAsync(repository, ct).ConfigureAwait(false);
        await tx.AppendEventAsync(Event(RegistryEventKind.RepositoryDeleted, repository, actor, now), ct).ConfigureAwait(false);
        return (tagCount, page.Count, links.Count, true);
    }

    /// <summary>Asks every check about one manifest: once per tag on it, or once with no tag when it is untagged.</summary>
    private async Task CheckAsync(IMetadataTransaction tx, RepositoryName repository, Digest digest, RegistryActor actor, CancellationToken ct)
    {
        if (_pushChecks.Length == 0) return;
        var tags = await tx.ListTagsOfAsync(repository, digest, ct).ConfigureAwait(false);
        if (tags.Count == 0)
            await RunAsync(new PushCheckContext { Change = RegistryChange.DeleteRepository, Repository = repository, Digest = digest, Actor = actor, Reads = tx }, ct).ConfigureAwait(false);
        foreach (string tag in tags)
            await RunAsync(new PushCheckContext
            {
                Change = RegistryChange.DeleteRepository, Repository = repository, Digest = digest, Tag = tag, PreviousTagTarget = digest, Actor = actor, Reads = tx,
            }, ct).ConfigureAwait(false);
    }

    private Task RunAsync(PushCheckContext context, CancellationToken ct) => PushChecks.RunAsync(_pushChecks, context, ct);

    private static RegistryEvent Event(RegistryEventKind kind, RepositoryName repository, RegistryActor actor, DateTimeOffset now) =>
        RegistryWrites.Event(kind, repository, actor, now);
}
