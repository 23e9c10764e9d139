using System.Collections.Concurrent;
using Bollard.Core.Registry;

namespace Bollard.Core.Mirror;

/// <summary>
/// <see cref="IMirrorFetchLimiter"/> as one token bucket per principal (anonymous callers by client address): a bucket
/// holds <see cref="MirrorOptions.FetchesPerMinutePerPrincipal"/> fetches and refills at that rate per minute, so a
/// principal may burst up to a minute's worth and then goes at the configured pace. Thread-safe; memory is bounded by
/// <see cref="MaxTracked"/> buckets (a full bucket carries no state, so full ones are dropped first when it is reached).
/// </summary>
public sealed class PrincipalFetchLimiter(MirrorOptions options, TimeProvider time) : IMirrorFetchLimiter
{
    /// <summary>Buckets kept at most; anonymous callers from many addresses must not grow memory without bound.</summary>
    public const int MaxTracked = 50_000;

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Buckets held now (principals and addresses that fetched recently).</summary>
    public int Tracked => _buckets.Count;

    public TimeSpan? TryAcquire(RegistryActor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        int perMinute = options.FetchesPerMinutePerPrincipal;
        if (perMinute <= 0 || actor == RegistryActor.Unknown) return null;
        // "" is anonymous (or access control off): the client address is all there is to tell callers apart.
        string key = actor.Principal.Length > 0 ? "principal:" + actor.Principal : "address:" + actor.ClientAddress;
        // Wall-clock ticks: a clock step backwards only delays the refill, a step forwards refills at most one bucket.
        long now = time.GetUtcNow().UtcTicks;
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            if (_buckets.Count >= MaxTracked) Prune(now, perMinute);
            bucket = _buckets.GetOrAdd(key, _ => new Bucket(perMinute, now));
        }
        return bucket.TryTake(perMinute, now, TimeSpan.TicksPerSecond);
    }

    /// <summary>Drops full buckets (their owners have not fetched for a minute); if none is full, drops any half.</summary>
    private void Prune(long now, int perMinute)
    {
        foreach (var (key, bucket) in _buckets)
            if (bucket.IsFull(perMinute, now, TimeSpan.TicksPerSecond)) _buckets.TryRemove(key, out _);
        if (_buckets.Count < MaxTracked) return;
        int n = 0;
        foreach (var key in _buckets.Keys)
            if (n++ % 2 == 0) _buckets.TryRemove(key, out _);
    }

    private sealed class Bucket(double tokens, long stamp)
    {
        private readonly Lock _lock = new();
        private double _tokens = tokens;
        private long _stamp = stamp;

        public TimeSpan? TryTake(int perMinute, long now, long frequency)
        {
            lock (_lock)
            {
                Refill(perMinute, now, frequency);
                if (_tokens >= 1)
                {
                    _tokens -= 1;
                    return null;
                }
                // Time until one whole token has refilled.
                return TimeSpan.FromSeconds((1 - _tokens) * 60.0 / perMinute);
            }
        }

        public bool IsFull(int perMinute, long now, long frequency)
        {
            lock (_lock)
            {
                Refill(perMinute, now, frequency);
                return _tokens >= perMinute;
            }
        }

        private void Refill(int perMinute, long now, long frequency)
        {
            double seconds = (double)(now - _stamp) / frequency;
            if (seconds <= 0) return;
            _tokens = Math.Min(perMinute, _tokens + seconds * perMinute / 60.0);
            _stamp = now;
        }
    }
}
