using System.Text;
using Bollard.Core.Oci;
using Bollard.Core.Retention;
using Bollard.Core.Tests.Auth;

namespace Bollard.Core.Tests.Retention;

public sealed class PullTimeRecorderTests
{
    private static readonly RepositoryName Repo = RepositoryName.Parse("team/app");
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingStore _store = new();

    private static Digest D(string s) => Digest.Sha256Of(Encoding.UTF8.GetBytes(s));

    [Fact]
    public async Task ManyPulls_OneEntryPerTagAndManifest_LatestTimeWins_OneWritePerFlush()
    {
        using var recorder = new PullTimeRecorder(_store, _time, new RetentionOptions());
        for (int i = 0; i < 1000; i++)
        {
            recorder.Record(Repo, "v1", D("a"));
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        recorder.Record(Repo, null, D("b"));
        Assert.Equal(3, recorder.Pending);
        Assert.Empty(_store.Batches);

        await recorder.FlushAsync(default);
        var batch = Assert.Single(_store.Batches);
        Assert.Equal(3, batch.Count);
        Assert.Equal(_time.GetUtcNow().AddSeconds(-1), batch.Single(p => p.Tag == "v1").At);
        Assert.Contains(batch, p => p.Tag is null && p.Digest == D("b"));
        await recorder.FlushAsync(default);
        Assert.Single(_store.Batches); // nothing new: no write
    }

    [Fact]
    public async Task BeyondTheCap_NewEntriesAreDroppedAndCounted_KnownOnesStillUpdate()
    {
        using var recorder = new PullTimeRecorder(_store, _time, new RetentionOptions { MaxPendingPulls = 4 });
        for (int i = 0; i < 10; i++) recorder.Record(Repo, $"t{i}", D($"m{i}"));
        Assert.Equal(4, recorder.Pending);
        Assert.Equal(16, recorder.Dropped);
        _time.Advance(TimeSpan.FromMinutes(1));
        recorder.Record(Repo, "t0", D("m0"));
        await recorder.FlushAsync(default);
        Assert.Equal(_time.GetUtcNow(), _store.Batches.Single().Single(p => p.Tag == "t0").At);
        // After a flush there is room again.
        recorder.Record(Repo, "t9", D("m9"));
        Assert.Equal(2, recorder.Pending);
    }

    [Fact]
    public async Task AFailedFlush_KeepsItsEntriesForTheNext()
    {
        using var recorder = new PullTimeRecorder(_store, _time, new RetentionOptions());
        recorder.Record(Repo, "v1", D("a"));
        _store.Fail = true;
        await Assert.ThrowsAsync<IOException>(() => recorder.FlushAsync(default));
        Assert.Equal(2, recorder.Pending);
        _store.Fail = false;
        await recorder.FlushAsync(default);
        Assert.Equal(2, _store.Batches.Single().Count);
        Assert.Equal(0, recorder.Pending);
    }

    private sealed class RecordingStore : IPullTimeStore
    {
        public List<List<PullTime>> Batches { get; } = [];
        public bool Fail { get; set; }

        public ValueTask StoreAsync(IReadOnlyCollection<PullTime> pulls, CancellationToken ct)
        {
            if (Fail) throw new IOException("disk full");
            Batches.Add(pulls.ToList());
            return ValueTask.CompletedTask;
        }

        public ValueTask<IReadOnlyList<TagTimes>> ListTagTimesAsync(RepositoryName repository, CancellationToken ct) => throw new NotSupportedException();

        public ValueTask<IReadOnlyList<ManifestTimes>> ListUntaggedManifestTimesAsync(RepositoryName repository, CancellationToken ct) => throw new NotSupportedException();
    }
}
