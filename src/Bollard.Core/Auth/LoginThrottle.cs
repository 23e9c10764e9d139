using System.Collections.Concurrent;

namespace Bollard.Core.Auth;

/// <summary>
/// Counts failed logins per account and per client address in a sliding window; once either is over its
/// limit, further attempts are refused (429 with Retry-After) until the oldest failure leaves the window.
/// In memory, per node: a brute force spread over many nodes is bounded by node count times the limit.
/// </summary>
public sealed class LoginThrottle(AuthOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);

    /// <returns>How long to wait, or null when an attempt is allowed now.</returns>
    public TimeSpan? RetryAfter(string account, string address)
    {
        var now = time.GetUtcNow();
        var a = Check("a:" + account.ToLowerInvariant(), options.MaxFailuresPerAccount, now);
        var b = Check("i:" + address, options.MaxFailuresPerAddress, now);
        return a is null ? b : b is null ? a : (a > b ? a : b);
    }

    public void RecordFailure(string account, string address)
    {
        var now = time.GetUtcNow();
        Add("a:" + account.ToLowerInvariant(), now);
        Add("i:" + address, now);
    }

    /// <summary>A success clears the account's failures (not the address's: one good account must not unlock guessing others).</summary>
    public void RecordSuccess(string account) => _failures.TryRemove("a:" + account.ToLowerInvariant(), out _);

    private TimeSpan? Check(string key, int limit, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out var queue)) return null;
        lock (queue)
        {
            Trim(queue, now);
            if (queue.Count < limit) return null;
            var wait = queue.Peek() + options.FailureWindow - now;
            return wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1);
        }
    }

    private void Add(string key, DateTimeOffset now)
    {
        var queue = _failures.GetOrAdd(key, _ => new Queue<DateTimeOffset>());
        lock (queue)
        {
            Trim(queue, now);
            queue.Enqueue(now);
            while (queue.Count > 10_000) queue.Dequeue();
        }
    }

    private void Trim(Queue<DateTimeOffset> queue, DateTimeOffset now)
    {
        while (queue.Count > 0 && queue.Peek() + options.FailureWindow <= now) queue.Dequeue();
    }
}
