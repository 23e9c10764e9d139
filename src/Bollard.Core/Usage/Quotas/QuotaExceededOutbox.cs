using System.Threading.Channels;
using Bollard.Core.Events;
using Bollard.Core.Storage;

namespace Bollard.Core.Usage.Quotas;

/// <summary>
/// <see cref="RegistryEventKind.QuotaExceeded"/> events waiting to be appended. A refusing <see cref="QuotaPushCheck"/>
/// runs inside the push's transaction, which then rolls back; the event must outlive that, so it is queued here and
/// <see cref="RunAsync"/> appends it in a transaction of its own. That transaction waits for the metadata writer, which the
/// refused push holds until it has rolled back, so the event is always stored after the rollback. Bounded: at most
/// <see cref="Capacity"/> wait (a client retrying a refused push in a loop cannot grow memory); beyond that one is dropped
/// and counted in <see cref="Dropped"/>.
/// </summary>
public sealed class QuotaExceededOutbox(IMetadataStore metadata)
{
    public const int Capacity = 1024;

    private readonly Channel<RegistryEvent> _queue = Channel.CreateBounded<RegistryEvent>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private long _dropped;
    private RegistryEvent? _pending; // kept across a failed append, so a retry stores it

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Enqueue(RegistryEvent quotaExceeded)
    {
        if (!_queue.Writer.TryWrite(quotaExceeded)) Interlocked.Increment(ref _dropped);
    }

    /// <summary>Appends queued events until <paramref name="ct"/> is cancelled. A store failure throws; the caller retries (the event stays first in line).</summary>
    public async Task RunAsync(Action healthy, CancellationToken ct)
    {
        while (true)
        {
            var pending = _pending ??= await _queue.Reader.ReadAsync(ct).ConfigureAwait(false);
            var tx = await metadata.BeginWriteAsync(ct).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                await tx.AppendEventAsync(pending, ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
            }
            _pending = null;
            healthy();
        }
    }
}
