using System.Threading.Channels;
using Bollard.Core.Storage;

namespace Bollard.Core.Auth;

/// <summary>
/// Hands audit events to the append-only log without putting a database write on every pull: events queue in
/// memory and are written in batches (one transaction) by <see cref="RunAsync"/>. <see cref="FlushAsync"/>
/// waits until everything recorded so far is stored, so a query sees its own events. A crash can lose the
/// last few hundred milliseconds of pull events; that is the price of not slowing pulls.
/// Identical pulls (same principal, client, repository, reference) that fall into one batch are stored as one
/// record with a <see cref="AuditEvent.Count"/>, time of the first: every pull is still counted, but a client
/// pulling one manifest in a loop costs one row per batch instead of one per request (bench/README.md, (d'')).
/// </summary>
public sealed class AuditRecorder(IAuditLog log, TimeProvider time)
{
    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(50);
    // Unbounded and single-reader: writers never take a lock (a bounded channel's lock was a third of a
    // manifest GET's cost under 32 concurrent pulls). The writer drains it every BatchWindow.
    private readonly Channel<Entry> _queue = Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions
    {
        SingleReader = true,
        AllowSynchronousContinuations = false,
    });

    public void Record(string principal, string client, string action, string outcome, string? repository = null, string? reference = null, string? detail = null)
    {
        var e = new AuditEvent
        {
            Time = time.GetUtcNow(), Principal = principal, ClientAddress = client, Action = action,
            Outcome = outcome, Repository = repository, Reference = reference, Detail = detail,
        };
        _queue.Writer.TryWrite(new Entry(e, null)); // always succeeds on an unbounded channel
    }

    /// <summary>Completes when every event recorded before the call is stored.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync(new Entry(null, done), ct).ConfigureAwait(false);
        await done.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The writer loop; run by one background service per process.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var batch = new List<AuditEvent>(256);
        var waiters = new List<TaskCompletionSource>();
        while (await _queue.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            // Let a batch gather: each write is a durable (fsynced) transaction that shares the database's single
            // writer with pushes, so one per event would cost more than the pulls it records.
            await Task.Delay(BatchWindow, time, ct).ConfigureAwait(false);
            while (batch.Count < 1000 && _queue.Reader.TryRead(out var entry))
            {
                if (entry.Event is not null) batch.Add(entry.Event);
                if (entry.Flushed is not null) waiters.Add(entry.Flushed);
            }
            try
            {
                await log.AppendAsync(Coalesce(batch), CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                batch.Clear();
                foreach (var w in waiters) w.TrySetResult();
                waiters.Clear();
            }
        }
    }

    private static List<AuditEvent> Coalesce(List<AuditEvent> batch)
    {
        var result = new List<AuditEvent>(batch.Count);
        var pulls = new Dictionary<(string, string, string?, string?, string, string?), int>();
        foreach (var e in batch)
        {
            if (e.Action != "pull") { result.Add(e); continue; }
            var key = (e.Principal, e.ClientAddress, e.Repository, e.Reference, e.Outcome, e.Detail);
            if (pulls.TryGetValue(key, out int at)) result[at] = result[at] with { Count = result[at].Count + e.Count };
            else
            {
                pulls[key] = result.Count;
                result.Add(e);
            }
        }
        return result;
    }

    /// <summary>Writes whatever is queued, for shutdown.</summary>
    public async Task DrainAsync()
    {
        var batch = new List<AuditEvent>();
        while (_queue.Reader.TryRead(out var entry))
        {
            if (entry.Event is not null) batch.Add(entry.Event);
            entry.Flushed?.TrySetResult();
        }
        await log.AppendAsync(Coalesce(batch), CancellationToken.None).ConfigureAwait(false);
    }

    private sealed record Entry(AuditEvent? Event, TaskCompletionSource? Flushed);
}
