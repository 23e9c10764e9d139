using System.Collections.Concurrent;
using Bollard.Core.Oci;

namespace Bollard.Core.Retention;

/// <summary>
/// Records when tags and manifests are pulled without a database write per pull: each pull updates one in-memory
/// entry per tag and per manifest (the latest time wins), and <see cref="FlushAsync"/> (every
/// <see cref="RetentionOptions.PullFlushInterval"/>, at shutdown, and before a retention run) writes them in one
/// transaction. At most <see cref="RetentionOptions.MaxPendingPulls"/> distinct entries wait between flushes; pulls
/// of further tags are counted in <see cref="Dropped"/> and not recorded (their next pull after a flush is). A failed
/// flush keeps its entries (up to the same bound) for the next one. A crash loses at most one interval of pull times,
/// which only makes "keep the last N by pull" a little less exact.
/// </summary>
public sealed class PullTimeRecorder(IPullTimeStore store, TimeProvider time, RetentionOptions options) : IDisposable
{
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private Batch _batch = new();
    private long _dropped;

    /// <summary>Pulls not recorded because <see cref="RetentionOptions.MaxPendingPulls"/> entries were waiting.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Entries waiting for the next flush.</summary>
    public int Pending => Volatile.Read(ref _batch).Count;

    /// <summary>A GET or HEAD of <paramref name="digest"/>, by <paramref name="tag"/> when one was named. Never blocks, never throws.</summary>
    public void Record(RepositoryName repository, string? tag, Digest digest)
    {
        var now = time.GetUtcNow();
        var batch = Volatile.Read(ref _batch);
        Touch(batch, new Key(repository, null, digest), now);
        if (tag is not null) Touch(batch, new Key(repository, tag, null), now);
    }

    private void Touch(Batch batch, Key key, DateTimeOffset at)
    {
        if (batch.Entries.TryGetValue(key, out var old))
        {
            if (old < at) batch.Entries[key] = at; // racing pulls are within the same moment: either time will do
            return;
        }
        if (batch.Count >= options.MaxPendingPulls)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }
        if (batch.Entries.TryAdd(key, at)) Interlocked.Increment(ref batch.Count);
    }

    /// <summary>Writes everything recorded so far. On failure the entries are kept for the next flush and the error is thrown.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        await _flushing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var batch = Interlocked.Exchange(ref _batch, new Batch());
            if (batch.Entries.IsEmpty) return;
            var pulls = batch.Entries.Select(e => new PullTime(e.Key.Repository, e.Key.Tag, e.Key.Digest, e.Value)).ToList();
            try
            {
                await store.StoreAsync(pulls, ct).ConfigureAwait(false);
            }
            catch
            {
                var current = Volatile.Read(ref _batch);
                foreach (var (key, at) in batch.Entries) Touch(current, key, at);
                throw;
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    public void Dispose() => _flushing.Dispose();

    private readonly record struct Key(RepositoryName Repository, string? Tag, Digest? Digest);

    private sealed class Batch
    {
        public readonly ConcurrentDictionary<Key, DateTimeOffset> Entries = new();
        public int Count;
    }
}
