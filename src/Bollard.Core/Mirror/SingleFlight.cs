using System.Collections.Concurrent;

namespace Bollard.Core.Mirror;

/// <summary>
/// Concurrent callers asking for the same key share one run of the work (Go's <c>singleflight</c>): twenty clients
/// missing the same manifest make one upstream request. The work runs on its own, not under any caller's token (a
/// client that gives up must not fail the others; the upstream requests are bounded by their own timeout), and each
/// caller waits with its own token. A key is free again as soon as its run ended. Thread-safe.
/// </summary>
public sealed class SingleFlight<TKey, TResult> where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Task<TResult>> _flights = new();

    /// <summary>Whether a run for <paramref name="key"/> is under way (a caller that joins it is not charged for a fetch).</summary>
    public bool IsRunning(TKey key) => _flights.ContainsKey(key);

    /// <returns>The result of the run for <paramref name="key"/>: the one under way, or a new run of <paramref name="work"/>.</returns>
    public Task<TResult> RunAsync(TKey key, Func<Task<TResult>> work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        while (true)
        {
            if (_flights.TryGetValue(key, out var running)) return running.WaitAsync(ct);
            var flight = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_flights.TryAdd(key, flight.Task)) continue;
            _ = RunAsync(key, flight, work);
            return flight.Task.WaitAsync(ct);
        }
    }

    private async Task RunAsync(TKey key, TaskCompletionSource<TResult> flight, Func<Task<TResult>> work)
    {
        try
        {
            var result = await Task.Run(work).ConfigureAwait(false);
            _flights.TryRemove(KeyValuePair.Create(key, flight.Task));
            flight.SetResult(result);
        }
#pragma warning disable CA1031 // the failure is the callers' result: every waiter sees it
        catch (Exception e)
#pragma warning restore CA1031
        {
            _flights.TryRemove(KeyValuePair.Create(key, flight.Task));
            flight.SetException(e);
        }
    }
}
