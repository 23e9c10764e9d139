using System.Threading.Channels;
using Bollard.Core.Storage;

namespace Bollard.Core.Auth;

/// <summary>
/// Hands audit events to the append-only log without putting a database write on every pull: events queue in
/// memory and are written in batches (one transaction) by <see cref="RunAsync"/>. <see cref="FlushAsync"/>
/// waits until everything recorded so far is stored, so a query sees its own events. A crash can lose the
/// last few hundred milliseconds of pull events; that is the price of not slowing pulls.
/// </summary>
public sealed class AuditRecorder(IAuditLog log, TimeProvider time)
{
    private readonly Channel<Entry> _queue = Channel.CreateBounded<Entry>(new BoundedChannelOptions(100_000)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    public void Record(string principal, string client, string action, string outcome, string? repository = null, string? reference = null, string? detail = null)
    {
        var e = new AuditEvent
        {
            Time = time.GetUtcNow(), Principal = principal, ClientAddress = client, Action = action,
            Outcome = outcome, Repository = repository, Reference = reference, Detail = detail,
        };
        if (!_queue.Writer.TryWrite(new Entry(e, null)))
            _ = _queue.Writer.WriteAsync(new Entry(e, null)).AsTask();
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
            while (batch.Count < 1000 && _queue.Reader.TryRead(out var entry))
            {
                if (entry.Event is not null) batch.Add(entry.Event);
                if (entry.Flushed is not null) waiters.Add(entry.Flushed);
            }
            try
            {
                await log.AppendAsync(batch, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                batch.Clear();
                foreach (var w in waiters) w.TrySetResult();
                waiters.Clear();
            }
        }
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
        await log.AppendAsync(batch, CancellationToken.None).ConfigureAwait(false);
    }

    private sealed record Entry(AuditEvent? Event, TaskCompletionSource? Flushed);
}
