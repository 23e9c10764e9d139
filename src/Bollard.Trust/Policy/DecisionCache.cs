using Bollard.Core.Oci;

namespace Bollard.Trust.Policy;

/// <summary>
/// The engine's decisions per (repository, digest): at most <c>capacity</c> entries (least recently used goes first),
/// each until its expiry (the earlier of the TTL and <see cref="PolicyDecision.ValidUntil"/>). Invalidation bumps an
/// epoch, so a decision computed while an invalidation happened is not stored (it may predate the change).
/// Thread-safe: one short lock per operation (a hit is a dictionary lookup and a list move).
/// </summary>
internal sealed class DecisionCache(int capacity)
{
    private readonly record struct Key(string Repository, Digest Digest);

    private sealed record Entry(Key Key, PolicyDecision Decision, DateTimeOffset Expires);

    private readonly Lock _lock = new();
    private readonly Dictionary<Key, LinkedListNode<Entry>> _map = [];
    private readonly LinkedList<Entry> _recent = new();
    private long _epoch;

    public long Epoch
    {
        get { lock (_lock) return _epoch; }
    }

    public int Count
    {
        get { lock (_lock) return _map.Count; }
    }

    public bool TryGet(RepositoryName repository, Digest digest, DateTimeOffset now, out PolicyDecision decision)
    {
        var key = new Key(repository.Value, digest);
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var node))
            {
                if (now < node.Value.Expires)
                {
                    _recent.Remove(node);
                    _recent.AddFirst(node);
                    decision = node.Value.Decision;
                    return true;
                }
                _recent.Remove(node);
                _map.Remove(key);
            }
        }
        decision = null!;
        return false;
    }

    /// <returns>false when an invalidation happened since <paramref name="epoch"/> (nothing is stored).</returns>
    public bool Set(RepositoryName repository, Digest digest, PolicyDecision decision, DateTimeOffset expires, long epoch)
    {
        var key = new Key(repository.Value, digest);
        lock (_lock)
        {
            if (epoch != _epoch || capacity <= 0) return false;
            if (_map.Remove(key, out var old)) _recent.Remove(old);
            _map[key] = _recent.AddFirst(new Entry(key, decision, expires));
            while (_map.Count > capacity)
            {
                var last = _recent.Last!;
                _recent.RemoveLast();
                _map.Remove(last.Value.Key);
            }
            return true;
        }
    }

    public void Invalidate(RepositoryName repository, Digest digest)
    {
        lock (_lock)
        {
            _epoch++;
            if (_map.Remove(new Key(repository.Value, digest), out var node)) _recent.Remove(node);
        }
    }

    public void Invalidate(Digest digest)
    {
        lock (_lock)
        {
            _epoch++;
            foreach (var key in _map.Keys.Where(k => k.Digest == digest).ToList())
                if (_map.Remove(key, out var node)) _recent.Remove(node);
        }
    }

    public void InvalidateAll()
    {
        lock (_lock)
        {
            _epoch++;
            _map.Clear();
            _recent.Clear();
        }
    }
}
