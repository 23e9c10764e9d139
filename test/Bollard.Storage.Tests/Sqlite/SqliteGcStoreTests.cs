using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Bollard.Storage.Tests.Sqlite;

/// <summary>The GC state of blobs over SQLite: 'deleting' only when unlinked and unpinned; no pin or link while 'deleting'; untagged and released times.</summary>
public sealed class SqliteGcStoreTests : IDisposable
{
    private static readonly RepositoryName Repo = RepositoryName.Parse("team/app");
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-gcstore-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly SqliteDatabase _db;
    private readonly SqliteGcStore _gc;
    private readonly SqliteMetadataStore _metadata;

    public SqliteGcStoreTests()
    {
        _db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        _gc = new SqliteGcStore(_db, _clock);
        _metadata = new SqliteMetadataStore(_db, new RegistryEventSignal(), _clock);
    }

    public void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static Digest D(string seed) => Digest.Compute(DigestAlgorithm.Sha256, System.Text.Encoding.UTF8.GetBytes(seed));

    private async Task LinkAsync(Digest digest)
    {
        await using var tx = await _metadata.BeginWriteAsync(default);
        await tx.EnsureRepositoryAsync(Repo, default);
        await tx.LinkBlobAsync(Repo, digest, 42, default);
        await tx.CommitAsync(default);
    }

    private async Task UnlinkAsync(Digest digest)
    {
        await using var tx = await _metadata.BeginWriteAsync(default);
        await tx.UnlinkBlobAsync(Repo, digest, default);
        await tx.CommitAsync(default);
    }

    [Fact]
    public async Task AFirstLink_CreatesTheBlobRow_AndOnlyAnUnlinkedUnpinnedBlobIsMarkedDeleting()
    {
        var linked = D("linked");
        var pinned = D("pinned");
        var free = D("free");
        foreach (var d in new[] { linked, pinned, free }) await LinkAsync(d);
        await UnlinkAsync(pinned);
        await UnlinkAsync(free);
        Assert.True(await _gc.TryPinAsync(pinned, "t1", TimeSpan.FromMinutes(10), default));

        var unlinked = await _gc.ListUnlinkedAsync(null, 10, default);
        Assert.Equal(new[] { free, pinned }.Select(d => d.ToString()).Order(StringComparer.Ordinal), unlinked.Select(b => b.Digest.ToString()));
        Assert.True(unlinked.Single(b => b.Digest == pinned).Pinned);

        var marked = await _gc.MarkDeletingAsync([linked, pinned, free], default);
        Assert.Equal([free], marked.Select(b => b.Digest));
        Assert.Equal(42, marked[0].Size);
        Assert.Equal([free], (await _gc.ListDeletingAsync(10, default)).Select(b => b.Digest));
    }

    [Fact]
    public async Task WhileDeleting_NoPinAndNoLinkIsPossible_UntilTheRowIsForgotten()
    {
        var digest = D("racing");
        await LinkAsync(digest);
        await UnlinkAsync(digest);
        Assert.Single(await _gc.MarkDeletingAsync([digest], default));

        Assert.False(await _gc.TryPinAsync(digest, "late", TimeSpan.FromMinutes(10), default));
        // The database itself refuses a link of a blob being deleted (a linker that skipped the pin).
        await Assert.ThrowsAsync<SqliteException>(() => LinkAsync(digest));

        await _gc.ForgetAsync([digest], default);
        Assert.True(await _gc.TryPinAsync(digest, "late", TimeSpan.FromMinutes(10), default));
        await LinkAsync(digest); // stored again: a new row
        Assert.Equal(1, (await _gc.GetBlobsAsync([digest], default)).Single().Links);
        await _gc.UnpinAsync("late", default);
        Assert.False((await _gc.GetBlobsAsync([digest], default)).Single().Pinned);
    }

    [Fact]
    public async Task AnExpiredPin_IsAdopted_SoBytesADeadLinkerLeftBecomeACandidate()
    {
        var digest = D("left-by-a-crash");
        Assert.True(await _gc.TryPinAsync(digest, "dead", TimeSpan.FromMinutes(10), default));
        Assert.Empty(await _gc.ListUnlinkedAsync(null, 10, default)); // no row yet: the linker died before linking
        _clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(1, await _gc.AdoptExpiredPinsAsync(default));
        var candidate = Assert.Single(await _gc.ListUnlinkedAsync(null, 10, default));
        Assert.Equal((digest, false), (candidate.Digest, candidate.Pinned));
    }

    [Fact]
    public async Task UntaggedSince_AndReleasedAt_FollowTagAndManifestChanges()
    {
        var layer = D("layer");
        await LinkAsync(layer);
        var body = System.Text.Encoding.UTF8.GetBytes("{}");
        var manifest = new ManifestRecord(Digest.Compute(DigestAlgorithm.Sha256, body), "application/vnd.oci.image.manifest.v1+json", body, null, null, null, _clock.GetUtcNow());
        await using (var tx = await _metadata.BeginWriteAsync(default))
        {
            await tx.PutManifestAsync(Repo, manifest, [layer], [], default);
            await tx.SetTagAsync(Repo, "v1", manifest.Digest, default);
            await tx.CommitAsync(default);
        }
        Assert.Null(Single(await _gc.LoadRepositoryAsync(Repo, default)).UntaggedAt);

        _clock.Advance(TimeSpan.FromHours(2));
        await using (var tx = await _metadata.BeginWriteAsync(default))
        {
            await tx.DeleteTagAsync(Repo, "v1", default);
            await tx.CommitAsync(default);
        }
        Assert.Equal(_clock.GetUtcNow(), Single(await _gc.LoadRepositoryAsync(Repo, default)).UntaggedAt);

        _clock.Advance(TimeSpan.FromHours(2));
        await using (var tx = await _metadata.BeginWriteAsync(default))
        {
            await tx.DeleteManifestAsync(Repo, manifest.Digest, default);
            await tx.CommitAsync(default);
        }
        var link = Assert.Single((await _gc.LoadRepositoryAsync(Repo, default)).Links);
        Assert.Equal(_clock.GetUtcNow(), link.Since); // released now, not when it was linked
    }

    private static Bollard.Core.Gc.GcManifest Single(Bollard.Core.Gc.GcRepositorySnapshot s) => Assert.Single(s.Manifests);
}
