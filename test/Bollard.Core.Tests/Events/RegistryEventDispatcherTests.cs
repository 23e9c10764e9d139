using Bollard.Core.Events;
using Bollard.Core.Health;
using Bollard.Core.Oci;
using Bollard.Core.Tests.Support;

namespace Bollard.Core.Tests.Events;

public sealed class RegistryEventDispatcherTests
{
    private static readonly RepositoryName Repo = RepositoryName.Parse("team/app");
    private static readonly EventOptions Fast = new() { PollInterval = TimeSpan.FromMilliseconds(20), RetryBase = TimeSpan.FromMilliseconds(5), RetryMax = TimeSpan.FromMilliseconds(40), BatchSize = 3 };
    private readonly InMemoryMetadataStore _store = new();
    private readonly BackgroundHealth _health = new(TimeProvider.System);

    private async Task AppendAsync(params string[] tags)
    {
        await using var tx = await _store.BeginWriteAsync(default);
        foreach (string tag in tags)
            await tx.AppendEventAsync(new RegistryEvent { Kind = RegistryEventKind.TagCreated, Time = DateTimeOffset.UtcNow, Repository = Repo, Tag = tag }, default);
        await tx.CommitAsync(default);
    }

    private RegistryEventDispatcher Dispatcher(params IRegistryEventSubscriber[] subscribers) =>
        new(_store, subscribers, _store.Signal, _health, Fast, TimeProvider.System);

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Delivers_InOrder_InBatches_AndWakesOnCommit()
    {
        await AppendAsync("a", "b", "c", "d");
        var seen = new Recording();
        using var stop = new CancellationTokenSource();
        var run = Dispatcher(seen).RunAsync((_, _) => { }, stop.Token);

        await EventuallyAsync(() => seen.Tags.Count == 4, "the first four");
        await AppendAsync("e");
        await AppendAsync("f", "g");
        await EventuallyAsync(() => seen.Tags.Count == 7, "the later ones");
        await stop.CancelAsync();
        await run;

        Assert.Equal(["a", "b", "c", "d", "e", "f", "g"], seen.Tags);
        Assert.All(seen.Batches, b => Assert.InRange(b, 1, Fast.BatchSize));
        Assert.Equal(_store.AllEvents[^1].Sequence, await _store.GetCursorAsync("recording", default));
        Assert.True(_health.AllHealthy);
    }

    [Fact]
    public async Task Restarted_ContinuesFromThePersistedCursor_AndRedeliversWhatWasNotAcknowledged()
    {
        await AppendAsync("a", "b");
        var first = new Recording();
        using (var stop = new CancellationTokenSource())
        {
            var run = Dispatcher(first).RunAsync((_, _) => { }, stop.Token);
            await EventuallyAsync(() => first.Tags.Count == 2, "a and b");
            await stop.CancelAsync();
            await run;
        }
        await AppendAsync("c");
        // A batch handled but not acknowledged (a crash before the cursor was saved) comes again: at least once.
        var second = new Recording { FailAfterHandlingOnce = true };
        using (var stop = new CancellationTokenSource())
        {
            var run = Dispatcher(second).RunAsync((_, _) => { }, stop.Token);
            await EventuallyAsync(() => second.Tags.Count == 2, "c, twice");
            await stop.CancelAsync();
            await run;
        }
        Assert.Equal(["c", "c"], second.Tags);
    }

    [Fact]
    public async Task FailingSubscriber_IsRetriedWithBackoff_ReportedUnhealthy_AndDoesNotHoldUpOthers()
    {
        await AppendAsync("a", "b");
        var broken = new Throwing(failures: 4);
        var fine = new Recording();
        var logged = new List<string>();
        using var stop = new CancellationTokenSource();
        var run = Dispatcher(broken, fine).RunAsync((name, e) => { lock (logged) logged.Add($"{name}: {e.Message}"); }, stop.Token);

        await EventuallyAsync(() => fine.Tags.Count == 2, "the healthy subscriber");
        await EventuallyAsync(() => _health.Snapshot().Any(c => c.Component == "events:broken" && !c.Healthy), "the failure in health");
        Assert.False(_health.AllHealthy);
        Assert.Contains("disk full", _health.Snapshot().Single(c => c.Component == "events:broken").Error, StringComparison.Ordinal);

        await EventuallyAsync(() => broken.Delivered.Count == 2, "the broken subscriber after it recovers");
        await EventuallyAsync(() => _health.AllHealthy, "recovery in health");
        await stop.CancelAsync();
        await run; // never faulted by a subscriber
        lock (logged) Assert.Equal(4, logged.Count);
        Assert.Equal(["a", "b"], broken.Delivered);
    }

    [Fact]
    public async Task StopWhileABatchIsHandled_TheHandledBatchIsAcknowledged_NotDeliveredAgain()
    {
        await AppendAsync("a", "b");
        using var stop = new CancellationTokenSource();
        // The host's stop arrives while the subscriber handles the batch, and the subscriber finishes it.
        var first = new Recording { OnHandled = stop.Cancel };
        await Dispatcher(first).RunAsync((_, _) => { }, stop.Token);
        Assert.Equal(["a", "b"], first.Tags);
        Assert.Equal(_store.AllEvents[^1].Sequence, await _store.GetCursorAsync("recording", default));

        // Restarted: nothing of what was handled comes again.
        await AppendAsync("c");
        var second = new Recording();
        using var stop2 = new CancellationTokenSource();
        var run = Dispatcher(second).RunAsync((_, _) => { }, stop2.Token);
        await EventuallyAsync(() => second.Tags.Count >= 1, "c");
        await stop2.CancelAsync();
        await run;
        Assert.Equal(["c"], second.Tags);
    }

    [Fact]
    public async Task DeliveryOff_DeliversNothing_AndTheEventsWait()
    {
        await AppendAsync("a");
        var seen = new Recording();
        await new RegistryEventDispatcher(_store, [seen], _store.Signal, _health, Fast with { Deliver = false }, TimeProvider.System).RunAsync((_, _) => { }, default);
        Assert.Empty(seen.Tags);
        Assert.Equal(0, await _store.GetCursorAsync("recording", default));
    }

    [Fact]
    public void Backoff_Doubles_UpToTheMaximum()
    {
        var first = TimeSpan.FromSeconds(1);
        var max = TimeSpan.FromMinutes(5);
        Assert.Equal([1, 2, 4, 8, 300, 300], new[] { 1, 2, 3, 4, 10, 1000 }.Select(n => RetryBackoff.Exponential(first, max, n).TotalSeconds));
    }

    [Fact]
    public async Task PruneOnce_DeletesOnlyEventsEverySubscriberAcknowledged_AndOlderThanRetention()
    {
        var old = DateTimeOffset.UtcNow - TimeSpan.FromDays(30);
        await using (var tx = await _store.BeginWriteAsync(default))
        {
            foreach (string tag in new[] { "a", "b", "c" })
                await tx.AppendEventAsync(new RegistryEvent { Kind = RegistryEventKind.TagCreated, Time = old, Repository = Repo, Tag = tag }, default);
            await tx.AppendEventAsync(new RegistryEvent { Kind = RegistryEventKind.TagCreated, Time = DateTimeOffset.UtcNow, Repository = Repo, Tag = "fresh" }, default);
            await tx.CommitAsync(default);
        }
        var seq = _store.AllEvents.Select(e => e.Sequence).ToArray();
        await _store.SetCursorAsync("fast", seq[3], default);
        await _store.SetCursorAsync("slow", seq[1], default);
        var dispatcher = new RegistryEventDispatcher(_store, [new Named("fast"), new Named("slow")], _store.Signal, _health,
            Fast with { Retention = TimeSpan.FromDays(7) }, TimeProvider.System);

        // "c" is old but "slow" has not acknowledged it; "fresh" is acknowledged by both but younger than the retention.
        Assert.Equal(2, await dispatcher.PruneOnceAsync(default));
        Assert.Equal(["c", "fresh"], _store.AllEvents.Select(e => e.Tag));
        Assert.Equal(0, await dispatcher.PruneOnceAsync(default));
    }

    [Fact]
    public async Task PruneOnce_WithoutSubscribers_KeepsEverything()
    {
        await AppendAsync("a");
        var dispatcher = new RegistryEventDispatcher(_store, [], _store.Signal, _health, Fast with { Retention = TimeSpan.Zero }, TimeProvider.System);
        Assert.Equal(0, await dispatcher.PruneOnceAsync(default));
        Assert.Single(_store.AllEvents);
    }

    private sealed class Named(string name) : IRegistryEventSubscriber
    {
        public string Name => name;
        public Task HandleAsync(IReadOnlyList<RegistryEvent> events, CancellationToken ct) => Task.CompletedTask;
    }

    private sealed class Recording : IRegistryEventSubscriber
    {
        private readonly Lock _lock = new();
        private readonly List<string> _tags = [];
        private readonly List<int> _batches = [];

        public bool FailAfterHandlingOnce { get; set; }
        public Action? OnHandled { get; init; }
        public string Name => "recording";
        public List<string> Tags { get { lock (_lock) return [.. _tags]; } }
        public List<int> Batches { get { lock (_lock) return [.. _batches]; } }

        public Task HandleAsync(IReadOnlyList<RegistryEvent> events, CancellationToken ct)
        {
            lock (_lock)
            {
                _tags.AddRange(events.Select(e => e.Tag!));
                _batches.Add(events.Count);
            }
            OnHandled?.Invoke();
            if (FailAfterHandlingOnce)
            {
                FailAfterHandlingOnce = false;
                throw new IOException("crashed before the cursor was saved");
            }
            return Task.CompletedTask;
        }
    }

    private sealed class Throwing(int failures) : IRegistryEventSubscriber
    {
        private int _left = failures;
        public string Name => "broken";
        public List<string> Delivered { get; } = [];

        public Task HandleAsync(IReadOnlyList<RegistryEvent> events, CancellationToken ct)
        {
            if (Interlocked.Decrement(ref _left) >= 0) throw new IOException("disk full");
            lock (Delivered) Delivered.AddRange(events.Select(e => e.Tag!));
            return Task.CompletedTask;
        }
    }
}
