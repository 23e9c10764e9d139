using System.Collections.Concurrent;

namespace Bollard.Core.Auth;

/// <summary>
/// Bounds password guessing without letting a stranger lock anyone out (sliding windows of
/// <see cref="AuthOptions.FailureWindow"/>; an address is counted by <see cref="AddressPrefix"/>, IPv6 by /64):
/// <list type="bullet">
/// <item>per account and address: after <see cref="AuthOptions.MaxFailuresPerAccount"/> failures, that address is
/// refused for that account (429 with Retry-After);</item>
/// <item>per address: after <see cref="AuthOptions.MaxFailuresPerAddress"/> failures (any accounts), that address is
/// refused for every account (password spraying);</item>
/// <item>per account, from all addresses together: after <see cref="AuthOptions.MaxFailuresPerAccount"/> failures,
/// attempts from addresses that have themselves failed for the account are slowed down, not refused: one at a time,
/// <see cref="AuthOptions.SlowLoginDelay"/> apart (<see cref="SlowDownAsync"/>), so a guesser with many addresses
/// gets about one guess per delay. An address that never failed for the account is never slowed or refused by
/// other addresses' failures: the right password or robot secret from there always works.</item>
/// </list>
/// A success clears nothing: a login with a stolen access token must not reset the count of current-password
/// guesses made with it (<see cref="Authenticator.CheckPasswordAsync"/>); failures simply leave the window.
/// Account names are compared exactly (ordinal), as the identity store compares them: <c>BOB</c> is not <c>bob</c>
/// (user names are lower case by grammar, so <c>BOB</c> never exists) and failures for it do not touch <c>bob</c>.
/// In memory, per node: a brute force spread over many nodes is bounded by node count times the limits.
/// </summary>
public sealed class LoginThrottle(AuthOptions options, TimeProvider time)
{
    private const int MaxKeys = 100_000;
    /// <summary>How many slowed attempts may wait for one account; more are refused (they all come from failing addresses).</summary>
    public const int MaxSlowedPerAccount = 16;
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Gate> _gates = new(StringComparer.Ordinal);

    /// <returns>How long to wait, or null when an attempt is allowed now.</returns>
    public TimeSpan? RetryAfter(string account, string address)
    {
        var now = time.GetUtcNow();
        string prefix = AddressPrefix.Of(address);
        var a = Check(PairKey(account, prefix), options.MaxFailuresPerAccount, now);
        var b = Check("i:" + prefix, options.MaxFailuresPerAddress, now);
        return a is null ? b : b is null ? a : (a > b ? a : b);
    }

    /// <summary>
    /// Whether an attempt for <paramref name="account"/> from <paramref name="address"/> must go through
    /// <see cref="SlowDownAsync"/>: the account has too many failures overall and this address has some of them.
    /// </summary>
    public bool MustSlowDown(string account, string address)
    {
        var now = time.GetUtcNow();
        return Count(PairKey(account, AddressPrefix.Of(address)), now) > 0 && Count("a:" + account, now) >= options.MaxFailuresPerAccount;
    }

    /// <summary>Waits for this account's turn (one slowed attempt at a time, <see cref="AuthOptions.SlowLoginDelay"/> apart).</summary>
    /// <returns>Dispose it when the attempt is done.</returns>
    /// <exception cref="AuthException">Too many slowed attempts already wait for this account (throttled).</exception>
    public async Task<IDisposable> SlowDownAsync(string account, CancellationToken ct)
    {
        if (_gates.Count > MaxKeys) foreach (var (key, idle) in _gates) if (idle.Waiting == 0) _gates.TryRemove(key, out _);
        var gate = _gates.GetOrAdd(account, _ => new Gate());
        if (Interlocked.Increment(ref gate.Waiting) > MaxSlowedPerAccount)
        {
            Interlocked.Decrement(ref gate.Waiting);
            throw new AuthException(AuthFailure.Throttled, "too many failed logins for this account; try again later", options.SlowLoginDelay * MaxSlowedPerAccount);
        }
        // One at a time: each attempt waits for the one before it (a chain of tasks, nothing to dispose).
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task previous;
        lock (gate)
        {
            previous = gate.Tail;
            gate.Tail = mine.Task;
        }
        try
        {
            await previous.WaitAsync(ct).ConfigureAwait(false);
            var wait = gate.NextAt - time.GetUtcNow();
            if (wait > TimeSpan.Zero) await Task.Delay(wait, time, ct).ConfigureAwait(false);
        }
        catch
        {
            // Given up: the next one in line may go once the one before this is done.
            _ = previous.ContinueWith(_ => Release(gate, mine), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            throw;
        }
        return new Turn(this, gate, mine);
    }

    public void RecordFailure(string account, string address)
    {
        var now = time.GetUtcNow();
        string prefix = AddressPrefix.Of(address);
        Add(PairKey(account, prefix), now);
        Add("a:" + account, now);
        Add("i:" + prefix, now);
    }

    private static string PairKey(string account, string prefix) => "p:" + prefix + "\n" + account;

    private void Release(Gate gate, TaskCompletionSource turn)
    {
        gate.NextAt = time.GetUtcNow() + options.SlowLoginDelay;
        Interlocked.Decrement(ref gate.Waiting);
        turn.TrySetResult();
    }

    private int Count(string key, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out var queue)) return 0;
        lock (queue)
        {
            Trim(queue, now);
            return queue.Count;
        }
    }

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
        if (_failures.Count > MaxKeys) Sweep(now);
        var queue = _failures.GetOrAdd(key, _ => new Queue<DateTimeOffset>());
        lock (queue)
        {
            Trim(queue, now);
            queue.Enqueue(now);
            while (queue.Count > 10_000) queue.Dequeue();
        }
    }

    /// <summary>Forgets counters whose failures all left the window, so that made-up names cannot grow the map without bound.</summary>
    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, queue) in _failures)
        {
            bool empty;
            lock (queue)
            {
                Trim(queue, now);
                empty = queue.Count == 0;
            }
            if (empty) _failures.TryRemove(key, out _);
        }
    }

    private void Trim(Queue<DateTimeOffset> queue, DateTimeOffset now)
    {
        while (queue.Count > 0 && queue.Peek() + options.FailureWindow <= now) queue.Dequeue();
    }

    private sealed class Gate
    {
        public Task Tail = Task.CompletedTask;
        public int Waiting;
        public DateTimeOffset NextAt;
    }

    private sealed class Turn(LoginThrottle owner, Gate gate, TaskCompletionSource turn) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) owner.Release(gate, turn);
        }
    }
}
