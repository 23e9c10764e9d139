using System.Collections.Concurrent;

namespace Bollard.Core.Mirror;

/// <summary>
/// What the mirror did, per upstream, for metrics (<c>bollard_mirror_*</c>) and the mirror API: hits (served from the
/// cache without asking the upstream), misses (fetched), revalidations (a tag asked about after its TTL), upstream
/// errors by <see cref="UpstreamFailure"/>, bytes fetched from the upstream and bytes served from the cache (saved).
/// Thread-safe, in memory; the readers and the sync job count, the metrics source reads.
/// </summary>
public sealed class MirrorCounters
{
    public sealed class Upstream
    {
        private long _manifestHits, _manifestMisses, _blobHits, _blobMisses, _revalidations, _staleServed, _bytesFetched, _bytesSaved;
        private readonly ConcurrentDictionary<UpstreamFailure, long> _errors = new();

        public long ManifestHits => Interlocked.Read(ref _manifestHits);
        public long ManifestMisses => Interlocked.Read(ref _manifestMisses);
        public long BlobHits => Interlocked.Read(ref _blobHits);
        public long BlobMisses => Interlocked.Read(ref _blobMisses);
        public long Revalidations => Interlocked.Read(ref _revalidations);
        /// <summary>Manifests served from the cache because the upstream failed (or dropped the tag).</summary>
        public long StaleServed => Interlocked.Read(ref _staleServed);
        public long BytesFetched => Interlocked.Read(ref _bytesFetched);
        /// <summary>Blob bytes served from the cache instead of the upstream.</summary>
        public long BytesSaved => Interlocked.Read(ref _bytesSaved);
        public IReadOnlyDictionary<UpstreamFailure, long> Errors => _errors;

        public void ManifestHit() => Interlocked.Increment(ref _manifestHits);
        public void ManifestMiss() => Interlocked.Increment(ref _manifestMisses);
        public void BlobHit(long bytes) { Interlocked.Increment(ref _blobHits); Interlocked.Add(ref _bytesSaved, bytes); }
        public void BlobMiss() => Interlocked.Increment(ref _blobMisses);
        public void Revalidated() => Interlocked.Increment(ref _revalidations);
        public void ServedStale() => Interlocked.Increment(ref _staleServed);
        public void Fetched(long bytes) => Interlocked.Add(ref _bytesFetched, bytes);
        public void Error(UpstreamFailure failure) => _errors.AddOrUpdate(failure, 1, (_, n) => n + 1);
    }

    private readonly ConcurrentDictionary<string, Upstream> _upstreams = new(StringComparer.Ordinal);

    public Upstream For(string upstream) => _upstreams.GetOrAdd(upstream, _ => new Upstream());

    public IReadOnlyDictionary<string, Upstream> All => _upstreams;
}
