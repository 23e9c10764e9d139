using System.Text;
using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Storage.Tests.Contracts;

/// <summary>Every metadata backend (SQLite now, PostgreSQL later) must pass these.</summary>
public abstract class MetadataStoreContractTests : IDisposable
{
    protected abstract IRepositoryStore Repositories { get; }
    protected abstract IManifestStore Manifests { get; }
    protected abstract IUploadStore Uploads { get; }

    public abstract void Dispose();

    private static readonly RepositoryName Repo = RepositoryName.Parse("team/app");
    private static readonly RepositoryName Other = RepositoryName.Parse("team/other");
    private static Digest D(string s) => Digest.Sha256Of(Encoding.UTF8.GetBytes(s));

    private static ManifestRecord Manifest(string content, Digest? subject = null, string? artifactType = null, string? annotations = null) =>
        new(D(content), MediaTypes.OciManifest, Encoding.UTF8.GetBytes(content), artifactType, subject, annotations, DateTimeOffset.UtcNow);

    private async Task<ManifestRecord> PutImageAsync(RepositoryName repo, string content, string? tag, Digest? subject = null, string? artifactType = null)
    {
        await Repositories.LinkBlobAsync(repo, D("layer"), 5, default);
        var m = Manifest(content, subject, artifactType, "{\"k\":\"v\"}");
        var result = await Manifests.PutAsync(repo, m, [D("layer")], [], tag, default);
        Assert.True(result.Succeeded);
        return m;
    }

    [Fact]
    public async Task LinkBlob_CreatesRepository_AndIsScopedToIt()
    {
        Assert.False(await Repositories.ExistsAsync(Repo, default));
        await Repositories.LinkBlobAsync(Repo, D("a"), 1, default);
        await Repositories.LinkBlobAsync(Repo, D("a"), 1, default); // idempotent
        Assert.True(await Repositories.ExistsAsync(Repo, default));
        Assert.True(await Repositories.IsBlobLinkedAsync(Repo, D("a"), default));
        Assert.False(await Repositories.IsBlobLinkedAsync(Other, D("a"), default));
        await Repositories.LinkBlobAsync(Other, D("a"), 1, default);
        Assert.Equal([Repo, Other], await Repositories.ListLinkingAsync(D("a"), 10, default));
        Assert.Equal([Repo], await Repositories.ListLinkingAsync(D("a"), 1, default));
        Assert.Empty(await Repositories.ListLinkingAsync(D("b"), 10, default));
    }

    [Fact]
    public async Task UnlinkBlob_OnlyThatRepository()
    {
        await Repositories.LinkBlobAsync(Repo, D("a"), 1, default);
        await Repositories.LinkBlobAsync(Other, D("a"), 1, default);
        Assert.True(await Repositories.UnlinkBlobAsync(Repo, D("a"), default));
        Assert.False(await Repositories.UnlinkBlobAsync(Repo, D("a"), default));
        Assert.True(await Repositories.IsBlobLinkedAsync(Other, D("a"), default));
    }

    [Fact]
    public async Task ListRepositories_LexicalWithPaging()
    {
        foreach (var n in new[] { "c", "a", "b/x", "b" })
            await Repositories.LinkBlobAsync(RepositoryName.Parse(n), D("a"), 1, default);
        Assert.Equal(["a", "b", "b/x", "c"], await Repositories.ListAsync(null, 10, default));
        Assert.Equal(["b/x", "c"], await Repositories.ListAsync("b", 10, default));
        Assert.Equal(["a", "b"], await Repositories.ListAsync(null, 2, default));
    }

    [Fact]
    public async Task PutManifest_MissingBlob_StoresNothing()
    {
        var result = await Manifests.PutAsync(Repo, Manifest("m"), [D("missing")], [], "v1", default);
        Assert.Equal([D("missing")], result.MissingBlobs);
        Assert.Null(await Manifests.GetAsync(Repo, D("m"), default));
        Assert.False(await Repositories.ExistsAsync(Repo, default));
    }

    [Fact]
    public async Task PutManifest_BlobOnlyInOtherRepository_IsMissing()
    {
        await Repositories.LinkBlobAsync(Other, D("layer"), 5, default);
        await Repositories.LinkBlobAsync(Repo, D("unrelated"), 5, default);
        var result = await Manifests.PutAsync(Repo, Manifest("m"), [D("layer")], [], null, default);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task PutManifest_MissingChild_StoresNothing()
    {
        await Repositories.LinkBlobAsync(Repo, D("x"), 1, default);
        var result = await Manifests.PutAsync(Repo, Manifest("index"), [], [D("child")], "v1", default);
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
        Assert.True((await Manifests.PutAsync(Repo, index, [], [child.Digest], "multi", default)).Succeeded);
    }

    [Fact]
    public async Task DeleteByDigest_RemovesItsTags()
    {
        var m = await PutImageAsync(Repo, "one", "v1");
        await Manifests.PutAsync(Repo, m, [], [], "v2", default);
        Assert.True(await Manifests.DeleteAsync(Repo, m.Digest, default));
        Assert.False(await Manifests.DeleteAsync(Repo, m.Digest, default));
        Assert.Empty(await Manifests.ListTagsAsync(Repo, null, 10, default));
        Assert.Null(await Manifests.GetByTagAsync(Repo, "v1", default));
    }

    [Fact]
    public async Task DeleteTag_KeepsManifest()
    {
        var m = await PutImageAsync(Repo, "one", "v1");
        Assert.True(await Manifests.DeleteTagAsync(Repo, "v1", default));
        Assert.False(await Manifests.DeleteTagAsync(Repo, "v1", default));
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

        await Manifests.DeleteAsync(Repo, sbom.Digest, default);
        Assert.Equal([sig.Digest], (await Manifests.ListReferrersAsync(Repo, subject.Digest, null, default)).Select(r => r.Digest));
        Assert.Empty(await Manifests.ListReferrersAsync(Repo, D("nothing"), null, default));
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
