using System.Collections.Concurrent;

namespace Bollard.Core.Mirror.Upstream;

/// <summary>A bearer token from a token service, good until <see cref="ExpiresAt"/> (already shortened by a margin).</summary>
internal sealed record UpstreamToken(string Value, DateTimeOffset ExpiresAt);

/// <summary>
/// The bearer tokens of one upstream, per scope (<c>repository:library/alpine:pull</c>). Thread-safe; concurrent
/// requests that need the same missing or expired token share one token request (a mirror miss storm must not become
/// a storm of token requests, which Docker Hub rate-limits too). A failed token request is not cached: the next
/// request asks again.
/// </summary>
internal sealed class UpstreamTokenCache(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<UpstreamToken>>> _entries = new(StringComparer.Ordinal);

    /// <returns>A token for <paramref name="scope"/> that has not expired (waiting for one being fetched), or null.</returns>
    public async Task<string?> CachedAsync(string scope, CancellationToken ct)
    {
        if (!_entries.TryGetValue(scope, out var entry) || !entry.IsValueCreated) return null;
        try
        {
            var token = await entry.Value.WaitAsync(ct).ConfigureAwait(false);
            return token.ExpiresAt > time.GetUtcNow() ? token.Value : null;
        }
        catch (UpstreamException)
        {
            return null;
        }
    }

    /// <summary>
    /// A token for <paramref name="scope"/>: the cached one unless it expired or is <paramref name="rejected"/> (the
    /// upstream just answered 401 to it), else the one <paramref name="fetch"/> brings, shared with every concurrent caller.
    /// <paramref name="fetch"/> must bound itself (it runs without the caller's token, so one caller giving up does not
    /// fail the others).
    /// </summary>
    public async Task<string> GetAsync(string scope, string? rejected, Func<Task<UpstreamToken>> fetch, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            var mine = new Lazy<Task<UpstreamToken>>(fetch, LazyThreadSafetyMode.ExecutionAndPublication);
            var entry = _entries.GetOrAdd(scope, mine);
            bool fresh = ReferenceEquals(entry, mine);
            var task = entry.Value;
            if (!fresh && task.IsCompleted && (!task.IsCompletedSuccessfully || Unusable(task.Result, rejected)))
            {
                _entries.TryRemove(new KeyValuePair<string, Lazy<Task<UpstreamToken>>>(scope, entry));
                if (attempt < 2) continue;
            }
            UpstreamToken token;
            try
            {
                token = await task.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (UpstreamException)
            {
                _entries.TryRemove(new KeyValuePair<string, Lazy<Task<UpstreamToken>>>(scope, entry));
                throw;
            }
            // A token fetched for someone else meanwhile may be the one the upstream just refused: ask once more.
            if (!fresh && Unusable(token, rejected) && attempt < 2)
            {
                _entries.TryRemove(new KeyValuePair<string, Lazy<Task<UpstreamToken>>>(scope, entry));
                continue;
            }
            return token.Value;
        }
    }

    private bool Unusable(UpstreamToken token, string? rejected) =>
        token.ExpiresAt <= time.GetUtcNow() || string.Equals(token.Value, rejected, StringComparison.Ordinal);
}
