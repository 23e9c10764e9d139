using Bollard.Core.Mirror;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Storage.Sqlite;

namespace Bollard.Core.Tests.Mirror;

/// <summary>Upstream manifest requests (a sync's GETs, clients' misses) are bounded by Mirror:MaxConcurrentFetches.</summary>
public sealed class MirrorManifestFetchBoundTests : IDisposable
{
    private readonly MirrorBlobFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task ManifestGets_BeyondMaxConcurrentFetches_WaitForASlot_ThenAllAnswer()
    {
        _f.Options.MaxConcurrentFetches = 2;
        var upstream = new BlockingManifestUpstream();
        var reader = new MirrorManifestReader(new StoredManifestReader(_f.Manifests), new MirrorRouter(_f.Options), upstream,
            new SqliteMirrorStore(_f.Database), () => _f.ManifestService, new UnlimitedMirrorFetches(), _f.Observer, _f.Counters, TimeProvider.System);

        // Bollard's own reads (a sync) of six different uncached manifests at once.
        var reads = Enumerable.Range(0, 6)
            .Select(i => reader.GetAsync(MirrorBlobFixture.Repository, new Reference(null, Digest.Sha256Of([(byte)i])), CancellationToken.None).AsTask())
            .ToList();
        for (int i = 0; i < 500 && upstream.InFlight < 2; i++) await Task.Delay(10);
        await Task.Delay(300); // room for any request past the bound to start
        Assert.Equal(2, upstream.MaxInFlight);

        upstream.Release();
        foreach (var read in reads) Assert.Null(await read.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(6, upstream.Gets);
        Assert.Equal(2, upstream.MaxInFlight);
    }

    /// <summary>Answers every manifest GET with 404, but only once released; counts the requests in flight.</summary>
    private sealed class BlockingManifestUpstream : IUpstreamRegistry
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inFlight, _maxInFlight, _gets;

        public int InFlight => Volatile.Read(ref _inFlight);
        public int MaxInFlight => Volatile.Read(ref _maxInFlight);
        public int Gets => Volatile.Read(ref _gets);

        public void Release() => _released.TrySetResult();

        public async Task<UpstreamManifest?> GetManifestAsync(MirrorRoute route, Reference reference, CancellationToken ct)
        {
            Interlocked.Increment(ref _gets);
            int now = Interlocked.Increment(ref _inFlight);
            int max;
            while ((max = Volatile.Read(ref _maxInFlight)) < now && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max) { }
            try
            {
                await _released.Task.WaitAsync(ct);
                return null;
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public Task<UpstreamManifestHead?> HeadManifestAsync(MirrorRoute route, Reference reference, CancellationToken ct) => throw new NotSupportedException();
        public Task<UpstreamBlob?> OpenBlobAsync(MirrorRoute route, Digest digest, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<Descriptor>> ListReferrersAsync(MirrorRoute route, Digest subject, int max, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<string>> ListTagsAsync(MirrorRoute route, int max, CancellationToken ct) => throw new NotSupportedException();
    }
}
