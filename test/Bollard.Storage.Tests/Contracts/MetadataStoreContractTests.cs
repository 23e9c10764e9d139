using System.Text;
using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Storage.Tests.Contracts;

/// <summary>Every metadata backend (SQLite now, PostgreSQL later) must pass these.</summary>
public abstract partial class MetadataStoreContractTests : IDisposable
{
    protected abstract IRepositoryStore Repositories { get; }
    protected abstract IManifestStore Manifests { get; }
    protected abstract IUploadStore Uploads { get; }
    protected abstract IMetadataStore Metadata { get; }
    protected abstract IEventStore Events { get; }

    public abstract void Dispose();

    private static readonly RepositoryName Repo = RepositoryName.Parse("team/app");
    private static readonly RepositoryName Other = RepositoryName.Parse("team/other");
    private static Digest D(string s) => Digest.Sha256Of(Encoding.UTF8.GetBytes(s));

    private static ManifestRecord Manifest(string content, Digest? subject = null, string? artifactType = null, string? annotations = null) =>
        new(D(content), MediaTypes.OciManifest, Encoding.UTF8.GetBytes(content), artifactType, subject, annotations, DateTimeOffset.UtcNow);

    private async Task<ManifestRecord> PutImageAsync(RepositoryName repo, string content, string? tag, Digest? subject = null, string? artifactType = null)
    {
        await LinkBlobAsync(repo, D("layer"), 5, default);
        var m = Manifest(content, subject, artifactType, "{\"k\":\"v\"}");
        var result = await PutAsync(repo, m, [D("layer")], [], tag, default);
        Assert.True(result.Complete);
        return m;
    }

    // The writes as Core makes them: one unit of work each.
    private async Task LinkBlobAsync(RepositoryName repo, Digest digest, long size, CancellationToken ct)
    {
        await using var tx = await Metadata.BeginWriteAsync(ct);
        await tx.EnsureRepositoryAsync(repo, ct);
        await tx.LinkBlobAsync(repo, digest, size, ct);
        await tx.CommitAsync(ct);
    }

    private async Task<bool> UnlinkBlobAsync(RepositoryName repo, Digest digest, CancellationToken ct)
    {
        await using var tx = await Metadata.BeginWriteAsync(ct);
        bool removed = await tx.UnlinkBlobAsync(repo, digest, ct);
        await tx.CommitAsync(ct);
        return removed;
    }

    /// <summary>Check on the read side, then store with the tag, as ManifestService does.</summary>
    private async Task<ReferenceCheck> PutAsync(RepositoryName repo, ManifestRecord m, IReadOnlyCollection<Digest> blobs, IReadOnlyCollection<Digest> children, string? tag, CancellationToken ct)
    {
        var check = await Manifests.FindMissingReferencesAsync(repo, blobs, children, ct);
        if (!check.Complete) return check;
        await using var tx = await Metadata.BeginWriteAsync(ct);
        var again = await tx.FindMissingReferencesAsync(repo, blobs, children, ct);
        Assert.True(again.Complete);
        Assert.Equal(check.Generation, again.Generation);
        await tx.EnsureRepositoryAsync(repo, ct);
        await tx.PutManifestAsync(repo, m, blobs, children, ct);
        if (tag is not null) await tx.SetTagAsync(repo, tag, m.Digest, ct);
        await tx.CommitAsync(ct);
        return check;
    }

    private async Task<bool> DeleteManifestAsync(RepositoryName repo, Digest digest, CancellationToken ct)
    {
        await using var tx = await Metadata.BeginWriteAsync(ct);
        bool removed = await tx.DeleteManifestAsync(repo, digest, ct);
        await tx.CommitAsync(ct);
        return removed;
    }

    private async Task<bool> DeleteTagAsync(RepositoryName repo, string tag, CancellationToken ct)
    {
        await using var tx = await Metadata.BeginWriteAsync(ct);
        bool removed = await tx.DeleteTagAsync(repo, tag, ct);
        await tx.CommitAsync(ct);
        return removed;
    }

    private static RegistryEvent Event(RegistryEventKind kind, string tag) =>
        new() { Kind = kind, Time = DateTimeOffset.FromUnixTimeMilliseconds(1_900_000_000_000), Repository = Repo, Tag = tag, Digest = D(tag), Principal = "alice", ClientAddress = "10.0.0.1", Detail = "upload", Size = 7 };

    [Fact]
    public async Task Transaction_DisposedWithoutCommit_WritesNothing()
    {
        await using (var tx = await Metadata.BeginWriteAsync(default))
        {
            Assert.True(await tx.EnsureRepositoryAsync(Repo, default));
            Assert.True(await tx.RepositoryExistsAsync(Repo, default)); // sees its own writes
            await tx.LinkBlobAsync(Repo, D("a"), 1, default);
            await tx.AppendEventAsync(Event(RegistryEventKind.BlobLinked, "a"), default);
        }
        Assert.False(await Repositories.ExistsAsync(Repo, default));
        Assert.Empty(await Events.ReadAsync(0, 10, default));
        Assert.Equal(0, await Events.HeadAsync(default));
    }

    [Fact]
    public async Task Transaction_ReadsSeeTagsReferencesAndLinks()
    {
        var image = await PutImageAsync(Repo, "one", "v1");
        await PutAsync(Repo, image, [], [], "v2", default);
        var index = new ManifestRecord(D("index"), MediaTypes.OciIndex, Encoding.UTF8.GetBytes("index"), null, null, null, DateTimeOffset.UtcNow);
        Assert.True((await PutAsync(Repo, index, [], [image.Digest], null, default)).Complete);
        await using var tx = await Metadata.BeginWriteAsync(default);
        Assert.Equal(image.Digest, await tx.GetTagAsync(Repo, "v1", default));
        Assert.Null(await tx.GetTagAsync(Repo, "nope", default));
        Assert.Equal(["v1", "v2"], await tx.ListTagsOfAsync(Repo, image.Digest, default));
        Assert.True(await tx.ManifestExistsAsync(Repo, image.Digest, default));
        Assert.False(await tx.ManifestExistsAsync(Other, image.Digest, default));
        Assert.True(await tx.IsBlobLinkedAsync(Repo, D("layer"), default));
        Assert.Equal(image.Digest, await tx.FindReferencingManifestAsync(Repo, D("layer"), ReferenceKind.Blob, default));
        Assert.Null(await tx.FindReferencingManifestAsync(Repo, D("layer"), ReferenceKind.Manifest, default));
        Assert.Equal(index.Digest, await tx.FindReferencingManifestAsync(Repo, image.Digest, ReferenceKind.Manifest, default));
        Assert.Null(await tx.FindReferencingManifestAsync(Other, image.Digest, ReferenceKind.Manifest, default));
        Assert.False(await tx.PutManifestAsync(Repo, image, [D("layer")], [], default)); // already there: idempotent
    }

    [Fact]
    public async Task ManifestStore_FindsReferencingManifests_OnAReadConnection()
    {
        var image = await PutImageAsync(Repo, "one", "v1");
        var index = new ManifestRecord(D("index"), MediaTypes.OciIndex, Encoding.UTF8.GetBytes("index"), null, null, null, DateTimeOffset.UtcNow);
        Assert.True((await PutAsync(Repo, index, [], [image.Digest], null, default)).Complete);
        Assert.Equal(image.Digest, await Manifests.FindReferencingManifestAsync(Repo, D("layer"), ReferenceKind.Blob, default));
        Assert.Null(await Manifests.FindReferencingManifestAsync(Repo, D("layer"), ReferenceKind.Manifest, default));
        Assert.Equal(index.Digest, await Manifests.FindReferencingManifestAsync(Repo, image.Digest, ReferenceKind.Manifest, default));
        Assert.Null(await Manifests.FindReferencingManifestAsync(Other, D("layer"), ReferenceKind.Blob, default));
        Assert.Null(await Manifests.FindReferencingManifestAsync(Repo, D("unknown"), ReferenceKind.Blob, default));
    }

    [Fact]
    public async Task Generation_MovesOnEveryRemoval_NotOnAdditions()
    {
        Assert.Equal(0, (await Manifests.FindMissingReferencesAsync(Repo, [D("layer")], [], default)).Generation);
        var image = await PutImageAsync(Repo, "one", "v1");
        long start = (await Manifests.FindMissingReferencesAsync(Repo, [D("layer")], [], default)).Generation;
        await LinkBlobAsync(Repo, D("more"), 1, default);
        await PutImageAsync(Repo, "two", "v2");
        Assert.Equal(start, (await Manifests.FindMissingReferencesAsync(Repo, [], [], default)).Generation);
        Assert.True(await DeleteManifestAsync(Repo, image.Digest, default));
        long afterDelete = (await Manifests.FindMissingReferencesAsync(Repo, [], [], default)).Generation;
        Assert.True(afterDelete > start);
        Assert.True(await UnlinkBlobAsync(Repo, D("more"), default));
        await using var tx = await Metadata.BeginWriteAsync(default);
        Assert.True(await tx.GenerationAsync(Repo, default) > afterDelete);
    }

    [Fact]
    public async Task Events_AppendedInOrder_ReadAfterCursor_RoundTrip()
    {
        await using (var tx = await Metadata.BeginWriteAsync(default))
        {
            long a = await tx.AppendEventAsync(Event(RegistryEventKind.TagCreated, "a"), default);
            long b = await tx.AppendEventAsync(Event(RegistryEventKind.TagMoved, "b") with { PreviousDigest = D("a") }, default);
            Assert.True(b > a);
            await tx.CommitAsync(default);
        }
        await using (var tx = await Metadata.BeginWriteAsync(default))
        {
            await tx.AppendEventAsync(Event(RegistryEventKind.TagDeleted, "c"), default);
            await tx.CommitAsync(default);
        }
        var all = await Events.ReadAsync(0, 10, default);
        Assert.Equal(["a", "b", "c"], all.Select(e => e.Tag));
        Assert.True(all[0].Sequence < all[1].Sequence && all[1].Sequence < all[2].Sequence);
        Assert.Equal(all[2].Sequence, await Events.HeadAsync(default));
        Assert.Equal(Event(RegistryEventKind.TagMoved, "b") with { PreviousDigest = D("a"), Sequence = all[1].Sequence }, all[1]);
        Assert.Equal(["c"], (await Events.ReadAsync(all[1].Sequence, 10, default)).Select(e => e.Tag));
        Assert.Equal(["a"], (await Events.ReadAsync(0, 1, default)).Select(e => e.Tag));
    }

    [Fact]
    public async Task Prune_DeletesOnlyDeliveredEventsBeforeTheCutoff_InBoundedBatches()
    {
        await using (var tx = await Metadata.BeginWriteAsync(default))
        {
            foreach (string tag in new[] { "a", "b", "c", "d" })
                await tx.AppendEventAsync(Event(RegistryEventKind.TagCreated, tag), default);
            await tx.CommitAsync(default);
        }
        var all = await Events.ReadAsync(0, 10, default);
        var time = all[0].Time;
        Assert.Equal(0, await Events.PruneAsync(all[2].Sequence, time, 10, default)); // none is before the cutoff
        Assert.Equal(1, await Events.PruneAsync(all[2].Sequence, time.AddMilliseconds(1), 1, default)); // the limit holds
        Assert.Equal(1, await Events.PruneAsync(all[1].Sequence, time.AddMilliseconds(1), 10, default)); // never past the delivered sequence
        Assert.Equal(["c", "d"], (await Events.ReadAsync(0, 10, default)).Select(e => e.Tag));
        Assert.Equal(all[3].Sequence, await Events.HeadAsync(default));
    }

    [Fact]
    public async Task Cursors_StartAtZero_PersistAndNeverMoveBack()
    {
        Assert.Equal(0, await Events.GetCursorAsync("audit", default));
        await Events.SetCursorAsync("audit", 5, default);
        await Events.SetCursorAsync("webhooks", 2, default);
        await Events.SetCursorAsync("audit", 3, default);
        Assert.Equal(5, await Events.GetCursorAsync("audit", default));
        Assert.Equal(2, await Events.GetCursorAsync("webhooks", default));
    }

    [Fact]
    public async Task LinkBlob_CreatesRepository_AndIsScopedToIt()
    {
        Assert.False(await Repositories.ExistsAsync(Repo, default));
        await LinkBlobAsync(Repo, D("a"), 1, default);
        await LinkBlobAsync(Repo, D("a"), 1, default); // idempotent
        Assert.True(await Repositories.ExistsAsync(Repo, default));
        Assert.True(await Repositories.IsBlobLinkedAsync(Repo, D("a"), default));
        Assert.False(await Repositories.IsBlobLinkedAsync(Other, D("a"), default));
        await LinkBlobAsync(Other, D("a"), 1, default);
        Assert.Equal([Repo, Other], await Repositories.ListLinkingAsync(D("a"), 10, default));
        Assert.Equal([Repo], await Repositories.ListLinkingAsync(D("a"), 1, default));
        Assert.Empty(await Repositories.ListLinkingAsync(D("b"), 10, default));
    }

    [Fact]
    public async Task UnlinkBlob_OnlyThatRepository()
    {
        await LinkBlobAsync(Repo, D("a"), 1, default);
        await LinkBlobAsync(Other, D("a"), 1, default);
        Assert.True(await UnlinkBlobAsync(Repo, D("a"), default));
        Assert.False(await UnlinkBlobAsync(Repo, D("a"), default));
        Assert.True(await Repositories.IsBlobLinkedAsync(Other, D("a"), default));
    }

    [Fact]
    public async Task ListRepositories_LexicalWithPaging()
    {
        foreach (var n in new[] { "c", "a", "b/x", "b" })
            await LinkBlobAsync(RepositoryName.Parse(n), D("a"), 1, default);
        Assert.Equal(["a", "b", "b/x", "c"], await Repositories.ListAsync(null, 10, default));
        Assert.Equal(["b/x", "c"], await Repositories.ListAsync("b", 10, default));
        Assert.Equal(["a", "b"], await Repositories.ListAsync(null, 2, default));
    }

    [Fact]
    public async Task PutManifest_MissingBlob_StoresNothing()
    {
        var result = await PutAsync(Repo, Manifest("m"), [D("missing")], [], "v1", default);
        Assert.Equal([D("missing")], result.MissingBlobs);
        Assert.Null(await Manifests.GetAsync(Repo, D("m"), default));
        Assert.False(await Repositories.ExistsAsync(Repo, default));
    }

    [Fact]
    public async Task PutManifest_BlobOnlyInOtherRepository_IsMissing()
    {
        await LinkBlobAsync(Other, D("layer"), 5, default);
        await LinkBlobAsync(Repo, D("unrelated"), 5, default);
        var result = await PutAsync(Repo, Manifest("m"), [D("layer")], [], null, default);
        Assert.False(result.Complete);
    }

    [Fact]
    public async Task PutManifest_MissingChild_StoresNothing()
    {
        await LinkBlobAsync(Repo, D("x"), 1, default);
        var result = await PutAsync(Repo, Manifest("index"), [], [D("child")], "v1", default);
        Assert.Equal([D("child")], result.MissingManifests);
        Assert.Null(await Manifests.GetByTagAsync(Repo, "v1", default));
    }

    [Fact]
    public async Task PutManifest_ThenGetByDigestAndTag_ExactBytes()
    {
        var m = await PutImageAsync(Repo, "{\"exact\":  \"bytes\"}", "v1");
        var byDigest = await Manifests.GetAsync(Repo, m.Digest, default);
        var byTag = await Manifests.GetByTagAsync(Repo, "v1", default);
        Assert.Equal(m.Content, byDigest!.Content);
        Assert.Equal(m.Content, byTag!.Content);
        Assert.Equal(MediaTypes.OciManifest, byTag.MediaType);
        Assert.Null(await Manifests.GetAsync(Other, m.Digest, default));
    }

    [Fact]
    public async Task PutManifest_SameTagAgain_MovesTag()
    {
        await PutImageAsync(Repo, "one", "v1");
        var two = await PutImageAsync(Repo, "two", "v1");
        Assert.Equal(two.Digest, (await Manifests.GetByTagAsync(Repo, "v1", default))!.Digest);
        Assert.NotNull(await Manifests.GetAsync(Repo, D("one"), default));
    }

    [Fact]
    public async Task PutManifest_Twice_IsIdempotent()
    {
        await PutImageAsync(Repo, "one", "v1");
        await PutImageAsync(Repo, "one", "v2");
        Assert.Equal(["v1", "v2"], await Manifests.ListTagsAsync(Repo, null, 10, default));
    }

    [Fact]
    public async Task PutManifest_IndexWithPresentChildren_Succeeds()
    {
        var child = await PutImageAsync(Repo, "child", null);
        var index = new ManifestRecord(D("index"), MediaTypes.OciIndex, Encoding.UTF8.GetBytes("index"), null, null, null, DateTimeOffset.UtcNow);
        Assert.True((await PutAsync(Repo, index, [], [child.Digest], "multi", default)).Complete);
    }

    [Fact]
    public async Task DeleteByDigest_RemovesItsTags()
    {
        var m = await PutImageAsync(Repo, "one", "v1");
        await PutAsync(Repo, m, [], [], "v2", default);
        Assert.True(await DeleteManifestAsync(Repo, m.Digest, default));
        Assert.False(await DeleteManifestAsync(Repo, m.Digest, default));
        Assert.Empty(await Manifests.ListTagsAsync(Repo, null, 10, default));
        Assert.Null(await Manifests.GetByTagAsync(Repo, "v1", default));
    }

    [Fact]
    public async Task DeleteTag_KeepsManifest()
    {
        var m = await PutImageAsync(Repo, "one", "v1");
        Assert.True(await DeleteTagAsync(Repo, "v1", default));
        Assert.False(await DeleteTagAsync(Repo, "v1", default));
        Assert.NotNull(await Manifests.GetAsync(Repo, m.Digest, default));
    }

    [Fact]
    public async Task ListTags_LexicalWithPaging()
    {
        foreach (var t in new[] { "b", "a", "c", "a1" }) await PutImageAsync(Repo, "one", t);
        Assert.Equal(["a", "a1", "b", "c"], await Manifests.ListTagsAsync(Repo, null, 10, default));
        Assert.Equal(["a", "a1"], await Manifests.ListTagsAsync(Repo, null, 2, default));
        Assert.Equal(["b", "c"], await Manifests.ListTagsAsync(Repo, "a1", 2, default));
        Assert.Empty(await Manifests.ListTagsAsync(Repo, "c", 2, default));
    }

    [Fact]
    public async Task Referrers_ListedFilteredAndScoped()
    {
        var subject = await PutImageAsync(Repo, "subject", "v1");
        var sbom = await PutImageAsync(Repo, "sbom", null, subject.Digest, "application/spdx+json");
        var sig = await PutImageAsync(Repo, "sig", null, subject.Digest, "application/vnd.dev.cosign");
        await PutImageAsync(Other, "elsewhere", null, subject.Digest, "application/spdx+json");

        var all = await Manifests.ListReferrersAsync(Repo, subject.Digest, null, default);
        Assert.Equal(new[] { sbom.Digest.ToString(), sig.Digest.ToString() }.Order(), all.Select(r => r.Digest.ToString()).Order());
        Assert.All(all, r => Assert.Equal("{\"k\":\"v\"}", r.AnnotationsJson));
        Assert.All(all, r => Assert.True(r.Size > 0));

        var filtered = await Manifests.ListReferrersAsync(Repo, subject.Digest, "application/spdx+json", default);
        Assert.Equal([sbom.Digest], filtered.Select(r => r.Digest));

        await DeleteManifestAsync(Repo, sbom.Digest, default);
        Assert.Equal([sig.Digest], (await Manifests.ListReferrersAsync(Repo, subject.Digest, null, default)).Select(r => r.Digest));
        Assert.Empty(await Manifests.ListReferrersAsync(Repo, D("nothing"), null, default));
    }

    [Fact]
    public async Task Referrers_PagedInListOrder_AfterACursor_WithTheFilter()
    {
        var subject = await PutImageAsync(Repo, "paged-subject", "v1");
        var made = new List<Digest>();
        for (int i = 0; i < 5; i++)
            made.Add((await PutImageAsync(Repo, $"paged-{i}", null, subject.Digest, i % 2 == 0 ? "application/spdx+json" : "application/vnd.dev.cosign")).Digest);
        var order = (await Manifests.ListReferrersAsync(Repo, subject.Digest, null, default)).Select(r => r.Digest).ToList();
        Assert.Equal(made.Select(d => d.ToString()).Order(), order.Select(d => d.ToString()).Order());

        var walked = new List<Digest>();
        Digest? after = null;
        for (int pages = 0; pages < 10; pages++)
        {
            var page = await Manifests.ListReferrersAsync(Repo, subject.Digest, null, after, 2, default);
            Assert.True(page.Count <= 2);
            if (page.Count == 0) break;
            walked.AddRange(page.Select(r => r.Digest));
            after = page[^1].Digest;
        }
        Assert.Equal(order, walked);

        var spdx = order.Where(d => made.IndexOf(d) % 2 == 0).ToList();
        var firstSpdx = await Manifests.ListReferrersAsync(Repo, subject.Digest, "application/spdx+json", null, 1, default);
        Assert.Equal([spdx[0]], firstSpdx.Select(r => r.Digest));
        var restSpdx = await Manifests.ListReferrersAsync(Repo, subject.Digest, "application/spdx+json", spdx[0], 10, default);
        Assert.Equal(spdx.Skip(1), restSpdx.Select(r => r.Digest));
        // A cursor that is no referrer of the subject gives an empty page, never the first page again.
        Assert.Empty(await Manifests.ListReferrersAsync(Repo, subject.Digest, null, subject.Digest, 10, default));
    }

    [Fact]
    public async Task Uploads_CreateGetTouchListDelete()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var u = new UploadRecord("0123456789abcdef0123456789abcdef", Repo, now, now) { Owner = "robot$ci" };
        await Uploads.CreateAsync(u, default);
        Assert.Equal(u, await Uploads.GetAsync(u.Id, default));
        await Uploads.TouchAsync(u.Id, now.AddMinutes(5), default);
        Assert.Equal(now.AddMinutes(5), (await Uploads.GetAsync(u.Id, default))!.UpdatedAt);
        Assert.Single(await Uploads.ListAsync(default));
        await Uploads.DeleteAsync(u.Id, default);
        Assert.Null(await Uploads.GetAsync(u.Id, default));
    }

    [Fact]
    public async Task Uploads_TryCreate_CapsOpenSessionsPerOwner()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        UploadRecord Row(int i, string owner) => new($"{i:x32}", Repo, now, now) { Owner = owner };
        Assert.True(await Uploads.TryCreateAsync(Row(1, "alice"), 2, default));
        Assert.True(await Uploads.TryCreateAsync(Row(2, "alice"), 2, default));
        Assert.False(await Uploads.TryCreateAsync(Row(3, "alice"), 2, default));
        Assert.Null(await Uploads.GetAsync(Row(3, "alice").Id, default));
        Assert.True(await Uploads.TryCreateAsync(Row(4, "bob"), 2, default));
        Assert.Equal(2, await Uploads.CountByOwnerAsync("alice", default));
        Assert.Equal(1, await Uploads.CountByOwnerAsync("bob", default));
        Assert.Equal(0, await Uploads.CountByOwnerAsync("carol", default));
        await Uploads.DeleteAsync(Row(1, "alice").Id, default);
        Assert.True(await Uploads.TryCreateAsync(Row(3, "alice"), 2, default));
    }
}
