using Bollard.Core.Auth;
using Bollard.Core.Events;
using Bollard.Core.Webhooks;
using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Tests.Sqlite;

/// <summary><see cref="SqliteWebhookStore"/>: idempotent fan-out keyed by the event sequence, queue order, the bounded log, disable and enable.</summary>
public sealed class SqliteWebhookStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-webhooks-").FullName;
    private readonly SqliteDatabase _db;
    private readonly SqliteWebhookStore _store;

    public SqliteWebhookStoreTests()
    {
        _db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        _store = new SqliteWebhookStore(_db);
    }

    public void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<WebhookRecord> CreateAsync(long startAfter = 0) => _store.CreateAsync(new WebhookRecord
    {
        Pattern = NamespacePattern.Parse("a/**"), Url = new Uri("http://127.0.0.1:1/h"), Events = [RegistryEventKind.ManifestPushed, RegistryEventKind.GcFinished],
        Format = WebhookFormat.Distribution, Secret = "whsec_x", CreatedBy = "alice", CreatedAt = T0, UpdatedAt = T0,
    }, startAfter, CancellationToken.None).AsTask();

    private static WebhookDelivery Delivery(long webhook, long sequence) => new()
    {
        WebhookId = webhook, Sequence = sequence, EventId = WebhookPayloads.EventId(sequence), Type = "dev.bollard.manifest.pushed",
        ContentType = WebhookPayloads.CloudEventsContentType, Body = [(byte)sequence], NextAttemptAt = T0, CreatedAt = T0,
    };

    [Fact]
    public async Task CreateAndGet_RoundTrips()
    {
        var created = await CreateAsync();
        var read = await _store.GetAsync(created.Id, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal("a/**", read.Pattern.Value);
        Assert.Equal([RegistryEventKind.ManifestPushed, RegistryEventKind.GcFinished], read.Events);
        Assert.Equal(WebhookFormat.Distribution, read.Format);
        Assert.Equal("whsec_x", read.Secret);
        Assert.True(read.Enabled);
        Assert.Equal(T0, read.CreatedAt);
    }

    [Fact]
    public async Task FanOut_SameBatchTwice_QueuesOnce_AndNothingBeforeTheWebhook()
    {
        var w = await CreateAsync(startAfter: 5);
        await _store.FanOutAsync([Delivery(w.Id, 4), Delivery(w.Id, 6), Delivery(w.Id, 7)], 7, CancellationToken.None);
        await _store.FanOutAsync([Delivery(w.Id, 4), Delivery(w.Id, 6), Delivery(w.Id, 7)], 7, CancellationToken.None); // a crash repeats the batch
        await _store.FanOutAsync([Delivery(w.Id, 7), Delivery(w.Id, 8)], 8, CancellationToken.None);
        var queued = await _store.ListDeliveriesAsync(w.Id, 100, CancellationToken.None);
        Assert.Equal([8L, 7, 6], queued.Select(d => d.Sequence));
        Assert.Equal(6, (await _store.HeadAsync(w.Id, CancellationToken.None))!.Sequence);
        Assert.Equal([w.Id], await _store.PendingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task RecordAttempt_FailureThenSuccess_KeepsTheHeadUntilDelivered_AndBoundsTheLog()
    {
        var w = await CreateAsync();
        await _store.FanOutAsync([Delivery(w.Id, 1), Delivery(w.Id, 2), Delivery(w.Id, 3), Delivery(w.Id, 4)], 4, CancellationToken.None);
        var head = (await _store.HeadAsync(w.Id, CancellationToken.None))!;
        await _store.RecordAttemptAsync(Attempt(head, 1, "failed", 500), T0.AddSeconds(5), 1, T0, null, keep: 2, CancellationToken.None);
        var again = (await _store.HeadAsync(w.Id, CancellationToken.None))!;
        Assert.Equal(head.Id, again.Id);
        Assert.Equal(1, again.Attempts);
        Assert.Equal(T0.AddSeconds(5), again.NextAttemptAt);
        Assert.Equal(1, (await _store.GetAsync(w.Id, CancellationToken.None))!.ConsecutiveFailures);

        await _store.RecordAttemptAsync(Attempt(again, 2, "delivered", 200), null, 0, null, null, keep: 2, CancellationToken.None);
        for (int i = 0; i < 3; i++)
        {
            var next = (await _store.HeadAsync(w.Id, CancellationToken.None))!;
            await _store.RecordAttemptAsync(Attempt(next, 1, "delivered", 204), null, 0, null, null, keep: 2, CancellationToken.None);
        }
        Assert.Null(await _store.HeadAsync(w.Id, CancellationToken.None));
        Assert.Empty(await _store.PendingAsync(CancellationToken.None));
        // Bounded: the newest two attempts and the newest two delivered deliveries are kept.
        var attempts = await _store.ListAttemptsAsync(w.Id, 100, CancellationToken.None);
        Assert.Equal([4L, 3], attempts.Select(a => a.Sequence));
        Assert.Equal([4L, 3], (await _store.ListDeliveriesAsync(w.Id, 100, CancellationToken.None)).Select(d => d.Sequence));
        Assert.Equal(0, (await _store.GetAsync(w.Id, CancellationToken.None))!.ConsecutiveFailures);
    }

    [Fact]
    public async Task Disable_StopsPending_EnableMakesTheQueueDueNow()
    {
        var w = await CreateAsync();
        await _store.FanOutAsync([Delivery(w.Id, 1)], 1, CancellationToken.None);
        var head = (await _store.HeadAsync(w.Id, CancellationToken.None))!;
        await _store.RecordAttemptAsync(Attempt(head, 1, "failed", 500), T0.AddHours(1), 3, T0, "too many failures", keep: 10, CancellationToken.None);
        var disabled = (await _store.GetAsync(w.Id, CancellationToken.None))!;
        Assert.False(disabled.Enabled);
        Assert.Equal("too many failures", disabled.DisabledReason);
        Assert.Empty(await _store.PendingAsync(CancellationToken.None));

        var now = T0.AddMinutes(1);
        Assert.True(await _store.UpdateAsync(disabled with { Enabled = true, DisabledReason = null, ConsecutiveFailures = 0, FailingSince = null, UpdatedAt = now }, CancellationToken.None));
        Assert.Equal([w.Id], await _store.PendingAsync(CancellationToken.None));
        Assert.Equal(now, (await _store.HeadAsync(w.Id, CancellationToken.None))!.NextAttemptAt);
        Assert.True(await _store.DeleteAsync(w.Id, CancellationToken.None));
        Assert.Empty(await _store.ListDeliveriesAsync(w.Id, 10, CancellationToken.None));
        Assert.False(await _store.DeleteAsync(w.Id, CancellationToken.None));
    }

    private static WebhookAttempt Attempt(WebhookDelivery d, int attempt, string outcome, int code) => new()
    {
        WebhookId = d.WebhookId, DeliveryId = d.Id, Sequence = d.Sequence, EventId = d.EventId, Attempt = attempt, Time = T0, Outcome = outcome,
        LatencyMs = 3, ResponseCode = code,
    };
}
