using System.Text;
using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Retention;
using Bollard.Core.Storage;
using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Tests.Sqlite;

public sealed class SqlitePullTimeStoreTests : IDisposable
{
    private static readonly RepositoryName Repo = RepositoryName.Parse("team/app");
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-pulls-").FullName;
    private readonly SqliteDatabase _db;
    private readonly Clock _clock = new();
    private readonly SqliteMetadataStore _metadata;
    private readonly SqlitePullTimeStore _pulls;

    public SqlitePullTimeStoreTests()
    {
        _db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        _metadata = new SqliteMetadataStore(_db, new RegistryEventSignal(), _clock);
        _pulls = new SqlitePullTimeStore(_db);
    }

    public void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static Digest D(string s) => Digest.Sha256Of(Encoding.UTF8.GetBytes(s));

    private async Task TagAsync(string tag, Digest manifest)
    {
        await using var tx = await _metadata.BeginWriteAsync(default);
        await tx.EnsureRepositoryAsync(Repo, default);
        await tx.PutManifestAsync(Repo, new ManifestRecord(manifest, MediaTypes.OciManifest, [1], null, null, null, _clock.GetUtcNow()), [], [], default);
        await tx.SetTagAsync(Repo, tag, manifest, default);
        await tx.CommitAsync(default);
    }

    [Fact]
    public async Task Store_LatestWins_UnknownNamesDropped_PullsBeforeTheTagMovedIgnored()
    {
        await TagAsync("v1", D("a"));
        var pushed = _clock.GetUtcNow();
        _clock.Now += TimeSpan.FromMinutes(1);
        var pulled = _clock.GetUtcNow();
        await _pulls.StoreAsync([new PullTime(Repo, "v1", null, pulled), new PullTime(Repo, null, D("a"), pulled),
            new PullTime(Repo, "gone", null, pulled), new PullTime(RepositoryName.Parse("no/repo"), "v1", null, pulled)], default);
        // An older time in a later batch does not go back.
        await _pulls.StoreAsync([new PullTime(Repo, "v1", null, pushed)], default);

        var v1 = Assert.Single(await _pulls.ListTagTimesAsync(Repo, default));
        Assert.Equal(("v1", D("a"), pushed, pulled, pulled), (v1.Tag, v1.Digest, v1.PushedAt, v1.TagPulledAt, v1.ManifestPulledAt));

        // The tag moves to a new manifest: the earlier pulls were of the old one.
        _clock.Now += TimeSpan.FromMinutes(1);
        await TagAsync("v1", D("b"));
        var moved = Assert.Single(await _pulls.ListTagTimesAsync(Repo, default));
        Assert.Equal(D("b"), moved.Digest);
        Assert.Null(moved.TagPulledAt);
        Assert.Null(moved.ManifestPulledAt);
        Assert.Equal(moved.PushedAt, moved.LastUsedAt);
    }

    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
