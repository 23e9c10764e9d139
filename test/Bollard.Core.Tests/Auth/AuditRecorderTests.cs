using Bollard.Core.Auth;
using Bollard.Core.Storage;

namespace Bollard.Core.Tests.Auth;

public sealed class AuditRecorderTests
{
    private sealed class MemoryAuditLog : IAuditLog
    {
        public List<AuditEvent> Events { get; } = [];

        public ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken ct)
        {
            lock (Events) Events.AddRange(events);
            return ValueTask.CompletedTask;
        }

        public ValueTask<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken ct) =>
            ValueTask.FromResult<IReadOnlyList<AuditEvent>>(Events.ToList());
    }

    [Fact]
    public async Task Drain_IdenticalPullsInOneBatch_StoredOnceWithCount_OthersKept()
    {
        var log = new MemoryAuditLog();
        var recorder = new AuditRecorder(log, TimeProvider.System);
        for (int i = 0; i < 5; i++) recorder.Record("ci", "10.0.0.1", "pull", "success", "team/app", "v1");
        recorder.Record("ci", "10.0.0.1", "push", "success", "team/app", "v2");
        recorder.Record("ci", "10.0.0.1", "push", "success", "team/app", "v2");
        recorder.Record("ci", "10.0.0.2", "pull", "success", "team/app", "v1");
        recorder.Record("ci", "10.0.0.1", "pull", "success", "team/app", "v1");

        await recorder.DrainAsync();

        Assert.Equal(4, log.Events.Count);
        Assert.Equal(6, log.Events.Single(e => e.Action == "pull" && e.ClientAddress == "10.0.0.1").Count);
        Assert.Equal(1, log.Events.Single(e => e.Action == "pull" && e.ClientAddress == "10.0.0.2").Count);
        // Only pulls are merged: every push stays its own record.
        Assert.Equal(2, log.Events.Count(e => e.Action == "push"));
        Assert.Equal(9, log.Events.Sum(e => e.Count)); // every recorded event is accounted for
    }

    [Fact]
    public async Task Flush_WaitsForEverythingRecordedBefore()
    {
        var log = new MemoryAuditLog();
        var recorder = new AuditRecorder(log, TimeProvider.System);
        using var cts = new CancellationTokenSource();
        var writer = recorder.RunAsync(cts.Token);
        recorder.Record("alice", "127.0.0.1", "login", "failure");
        await recorder.FlushAsync(CancellationToken.None);
        Assert.Single(log.Events);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer);
    }
}
