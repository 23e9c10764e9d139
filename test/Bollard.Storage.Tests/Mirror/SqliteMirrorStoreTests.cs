using System.Text;
using Bollard.Core.Events;
using Bollard.Core.Mirror;
using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Tests.Mirror;

/// <summary>The mirror's tag states: one row per cached tag, round-tripped, gone with the tag, the manifest and the repository.</summary>
public sealed class SqliteMirrorStoreTests : IDisposable
{
    private static readonly RepositoryName Alpine = RepositoryName.Parse("mirror/up/library/alpine");
    private static readonly RepositoryName Debian = RepositoryName.Parse("mirror/up/library/debian");
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-mirror-store-").FullName;
    private readonly SqliteDatabase _db;
    private readonly SqliteMetadataStore _metadata;
    private readonly SqliteMirrorStore _store;

    public SqliteMirrorStoreTests()
    {
        _db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        _metadata = new SqliteMetadataStore(_db, new RegistryEventSignal(), TimeProvider.System);
        _store = new SqliteMirrorStore(_db);
    }

    public void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static Digest D(string s) => Digest.Sha256Of(Encoding.UTF8.GetBytes(s));

    private async Task TagAsync(RepositoryName repository, string tag, Digest manifest)
    {
        await using var tx = await _metadata.BeginWriteAsync(default);
        await tx.EnsureRepositoryAsync(repository, default);
        await tx.PutManifestAsync(repository, new ManifestRecord(manifest, MediaTypes.OciManifest, [1], null, null, null, T0), [], [], default);
        await tx.SetTagAsync(repository, tag, manifest, default);
        await tx.CommitAsync(default);
    }

    [Fact]
    public async Task Set_RoundTrips_AndReplaces()
    {
        await TagAsync(Alpine, "3.20", D("a"));
        var fresh = new MirrorTagState(Alpine, "3.20", D("a"), T0, null, null, false);
        await _store.SetTagAsync(fresh, default);
        Assert.Equal(fresh, await _store.GetTagAsync(Alpine, "3.20", default));

        var failed = fresh with { FailedAt = T0.AddMinutes(6), LastError = "upstream unreachable: refused", RemovedUpstream = true };
        await _store.SetTagAsync(failed, default);
        Assert.Equal(failed, await _store.GetTagAsync(Alpine, "3.20", default));
        Assert.True((await _store.GetTagAsync(Alpine, "3.20", default))!.Stale);
        Assert.Null(await _store.GetTagAsync(Alpine, "other", default));
    }

    [Fact]
    public async Task Set_ForATagThatDoesNotExist_StoresNothing()
    {
        await _store.SetTagAsync(new MirrorTagState(Alpine, "gone", D("a"), T0, null, null, false), default);
        Assert.Null(await _store.GetTagAsync(Alpine, "gone", default));
    }

    [Fact]
    public async Task List_ByRepositoryAndTag_Bounded()
    {
        foreach (var (repo, tag) in new[] { (Debian, "bookworm"), (Alpine, "3.21"), (Alpine, "3.20") })
        {
            await TagAsync(repo, tag, D(repo + tag));
            await _store.SetTagAsync(new MirrorTagState(repo, tag, D(repo + tag), T0, null, null, false), default);
        }
        Assert.Equal([(Alpine, "3.20"), (Alpine, "3.21"), (Debian, "bookworm")], (await _store.ListTagsAsync(null, 10, default)).Select(s => (s.Repository, s.Tag)));
        Assert.Equal(["3.20"], (await _store.ListTagsAsync(null, 1, default)).Select(s => s.Tag));
        Assert.Equal(["bookworm"], (await _store.ListTagsAsync(Debian, 10, default)).Select(s => s.Tag));
    }

    [Fact]
    public async Task Rows_GoWithTheirTag_AndTheirRepository()
    {
        await TagAsync(Alpine, "a", D("a"));
        await TagAsync(Alpine, "b", D("b"));
        await TagAsync(Debian, "c", D("c"));
        foreach (var (repo, tag) in new[] { (Alpine, "a"), (Alpine, "b"), (Debian, "c") })
            await _store.SetTagAsync(new MirrorTagState(repo, tag, D(tag), T0, null, null, false), default);

        await using (var tx = await _metadata.BeginWriteAsync(default))
        {
            await tx.DeleteTagAsync(Alpine, "a", default);
            await tx.CommitAsync(default);
        }
        Assert.Null(await _store.GetTagAsync(Alpine, "a", default));
        Assert.NotNull(await _store.GetTagAsync(Alpine, "b", default));

        await using (var tx = await _metadata.BeginWriteAsync(default))
        {
            await tx.DeleteRepositoryAsync(Alpine, default);
            await tx.CommitAsync(default);
        }
        Assert.Equal([(Debian, "c")], (await _store.ListTagsAsync(null, 10, default)).Select(s => (s.Repository, s.Tag)));

        await _store.DeleteTagAsync(Debian, "c", default);
        Assert.Empty(await _store.ListTagsAsync(null, 10, default));
    }
}
