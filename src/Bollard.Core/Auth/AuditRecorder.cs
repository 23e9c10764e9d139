using System.Threading.Channels;
using Bollard.Core.Health;
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
/// What an event may store, repeated refusals and the rate per source are bounded by <see cref="AuditShaper"/>.
/// </summary>
public sealed class AuditRecorder(IAuditLog log, TimeProvider time, AuthOptions options)
{
    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan PendingTick = TimeSpan.FromSeconds(1);
    private readonly AuditShaper _shaper = new(options);
    private readonly Lock _shaping = new();

    public AuditRecorder(IAuditLog log, TimeProvider time) : this(log, time, new AuthOptions()) { }

    /// <summary>Events held in memory while the log cannot be written (a locked database, a full disk); beyond it they are counted, not kept.</summary>
    public const int MaxQueued = 100_000;
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);
    private int _queued;
    private long _dropped;
    private List<AuditEvent>? _unwritten;
    // Unbounded and single-reader: writers never take a lock (a bounded channel's lock was a third of a
    // manifest GET's cost under 32 concurrent pulls). The writer drains it every BatchWindow.
    private readonly Channel<Entry> _queue = Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions
    {
        SingleReader = true,
        AllowSynchronousContinuations = false,
    });

    public void Record(string principal, string client, string action, string outcome, string? repository = null, string? reference = null, string? detail = null)
    {
        // Bounded here, so that what waits in the queue is small too.
        var e = new AuditEvent
        {
            Time = time.GetUtcNow(), Principal = AuditShaper.Bound(principal, AuditShaper.MaxPrincipal)!,
            ClientAddress = AuditShaper.Bound(client, AuditShaper.MaxClient)!, Action = AuditShaper.Bound(action, AuditShaper.MaxAction)!,
            Outcome = AuditShaper.Bound(outcome, AuditShaper.MaxOutcome)!, Repository = AuditShaper.Bound(repository, AuditShaper.MaxRepository),
            Reference = AuditShaper.Bound(reference, AuditShaper.MaxReference), Detail = AuditShaper.Bound(detail, AuditShaper.MaxDetail),
        };
        if (Interlocked.Increment(ref _queued) > MaxQueued)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }
        _queue.Writer.TryWrite(new Entry(e, null)); // always succeeds on an unbounded channel
    }

    /// <summary>
    /// Told when a batch could not be stored: the error, the attempt number and the delay before the same batch is
    /// tried again. Set by the host (logging, <c>/readyz</c>); the recorder itself only retries.
    /// </summary>
    public Action<Exception, int, TimeSpan>? WriteFailed { get; set; }

    /// <summary>Told after a batch was stored, with how many events were dropped at <see cref="MaxQueued"/> before it (usually 0).</summary>
    public Action<long>? Written { get; set; }

    /// <summary>Events waiting to be stored (the audit queue depth).</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Events refused since the last stored batch because <see cref="MaxQueued"/> were waiting.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

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
        Task<bool>? wait = null;
        while (true)
        {
            wait ??= _queue.Reader.WaitToReadAsync(ct).AsTask();
            if (!wait.IsCompleted && HasPending())
            {
                // Held-back rows (coalesced refusals, suppressed counts) are written when their window ends,
                // also when nothing else arrives.
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var delay = Task.Delay(PendingTick, time, tick.Token);
                if (await Task.WhenAny(wait, delay).ConfigureAwait(false) != wait)
                {
                    await StoreAsync(Shape([], flush: false), 0, ct).ConfigureAwait(false);
                    continue;
                }
                await tick.CancelAsync().ConfigureAwait(false);
            }
            if (!await wait.ConfigureAwait(false)) break;
            wait = null;
            // Let a batch gather: each write is a durable (fsynced) transaction that shares the database's single
            // writer with pushes, so one per event would cost more than the pulls it records.
            await Task.Delay(BatchWindow, time, ct).ConfigureAwait(false);
            while (batch.Count < 5000 && _queue.Reader.TryRead(out var entry))
            {
                if (entry.Event is not null) batch.Add(entry.Event);
                if (entry.Flushed is not null) waiters.Add(entry.Flushed);
            }
            await StoreAsync(Shape(batch, flush: waiters.Count > 0), batch.Count, ct).ConfigureAwait(false);
            batch.Clear();
            foreach (var w in waiters) w.TrySetResult();
            waiters.Clear();
        }
    }

    /// <summary>
    /// Stores one batch, retrying the same events with backoff until it is stored or <paramref name="ct"/> fires
    /// (then <see cref="DrainAsync"/> tries once more): a locked database or a full disk delays the audit log, it
    /// does not lose it or stop the host.
    /// </summary>
    private async Task StoreAsync(List<AuditEvent> events, int dequeued, CancellationToken ct)
    {
        Interlocked.Add(ref _queued, -dequeued);
        _unwritten = events;
        for (int attempt = 1; ; attempt++)
        {
            long dropped = Interlocked.Exchange(ref _dropped, 0);
            var toStore = dropped == 0 ? events : [.. events, DroppedEvent(dropped)];
            try
            {
                await log.AppendAsync(toStore, CancellationToken.None).ConfigureAwait(false);
                _unwritten = null;
                Written?.Invoke(dropped);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Interlocked.Add(ref _dropped, dropped);
                var delay = RetryBackoff.Exponential(FirstRetryDelay, MaxRetryDelay, attempt + 1); // 200 ms, 400 ms, ... up to the cap
                WriteFailed?.Invoke(e, attempt, delay);
                await Task.Delay(delay, time, ct).ConfigureAwait(false);
            }
        }
    }

    private AuditEvent DroppedEvent(long dropped) => new()
    {
        Time = time.GetUtcNow(), Principal = "system", ClientAddress = "", Action = "audit.dropped", Outcome = "failure",
        Detail = $"{dropped} audit events were dropped: {MaxQueued} were waiting while the audit log could not be written",
    };

    private bool HasPending()
    {
        lock (_shaping) return _shaper.HasPending;
    }

    private List<AuditEvent> Shape(List<AuditEvent> batch, bool flush)
    {
        lock (_shaping) return _shaper.Shape(batch, time.GetUtcNow(), flush);
    }

    /// <summary>Writes whatever is queued or held back, for shutdown.</summary>
    public async Task DrainAsync()
    {
        var batch = new List<AuditEvent>();
        var waiters = new List<TaskCompletionSource>();
        while (_queue.Reader.TryRead(out var entry))
        {
            if (entry.Event is not null) batch.Add(entry.Event);
            if (entry.Flushed is not null) waiters.Add(entry.Flushed);
        }
        Interlocked.Add(ref _queued, -batch.Count);
        try
        {
            List<AuditEvent> rows = [.. _unwritten ?? [], .. Shape(batch, flush: true)];
            long dropped = Interlocked.Exchange(ref _dropped, 0);
            if (dropped > 0) rows.Add(DroppedEvent(dropped));
            await log.AppendAsync(rows, CancellationToken.None).ConfigureAwait(false);
            _unwritten = null;
        }
        finally
        {
            foreach (var w in waiters) w.TrySetResult();
        }
    }

    private sealed record Entry(AuditEvent? Event, TaskCompletionSource? Flushed);
}
