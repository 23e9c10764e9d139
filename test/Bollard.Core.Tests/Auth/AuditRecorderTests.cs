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

    private static AuditRecorder Recorder(MemoryAuditLog log, TimeProvider time, int perMinute = 600, int coalesceSeconds = 10) =>
        new(log, time, new AuthOptions { AuditMaxEventsPerSourcePerMinute = perMinute, AuditCoalesceWindow = TimeSpan.FromSeconds(coalesceSeconds) });

    [Fact]
    public async Task HugeFields_AreCutWithAMarker()
    {
        var log = new MemoryAuditLog();
        var recorder = Recorder(log, TimeProvider.System);
        string name = new('u', 6000);
        string scopes = string.Join(' ', Enumerable.Range(0, 500).Select(i => $"repository:x{i}/*:pull"));
        recorder.Record(name, "10.0.0.1", "login", "throttled");
        recorder.Record("", "10.0.0.1", "token.issue", "success", detail: "(rejected: " + scopes + ")");

        await recorder.DrainAsync();

        var login = log.Events.Single(e => e.Action == "login");
        Assert.True(login.Principal.Length <= AuditShaper.MaxPrincipal, $"{login.Principal.Length} characters stored");
        Assert.StartsWith("uuuu", login.Principal, StringComparison.Ordinal);
        Assert.Contains("[+", login.Principal, StringComparison.Ordinal);
        var issue = log.Events.Single(e => e.Action == "token.issue");
        Assert.True(issue.Detail!.Length <= AuditShaper.MaxDetail, $"{issue.Detail.Length} characters stored");
        Assert.EndsWith("chars]", issue.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RepeatedFailures_WithinTheWindow_AreOneRowWithACount()
    {
        var log = new MemoryAuditLog();
        var time = new FakeTimeProvider();
        var recorder = Recorder(log, time);
        for (int i = 0; i < 50; i++)
        {
            recorder.Record("admin", "10.0.0.1", "login", "throttled");
            time.Advance(TimeSpan.FromMilliseconds(100));
        }
        recorder.Record("admin", "10.0.0.2", "login", "throttled"); // another client: its own row
        time.Advance(TimeSpan.FromSeconds(11));
        recorder.Record("admin", "10.0.0.1", "login", "throttled"); // after the window: a new row

        await recorder.DrainAsync();

        var rows = log.Events.Where(e => e.ClientAddress == "10.0.0.1").ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(50, rows[0].Count);
        Assert.Equal(1, rows[1].Count);
        Assert.Single(log.Events, e => e.ClientAddress == "10.0.0.2");
    }

    [Fact]
    public async Task OneSource_CannotGrowTheLogFasterThanItsBudget_TheRestIsCounted()
    {
        var log = new MemoryAuditLog();
        var time = new FakeTimeProvider();
        var recorder = Recorder(log, time, perMinute: 20);
        // Distinct names (nothing to coalesce), anonymous token requests, all from one IPv6 /64.
        for (int i = 0; i < 500; i++)
        {
            recorder.Record($"guess-{i}", $"2001:db8::{i:x}", "login", "failure");
            recorder.Record("", $"2001:db8::{i:x}", "token.issue", "success", detail: $"repository:r{i}:pull");
        }
        // A logged-in user's successful work from another address is not limited.
        for (int i = 0; i < 30; i++) recorder.Record("alice", "10.0.0.9", "push", "success", "team/app", $"v{i}");

        await recorder.DrainAsync();

        Assert.Equal(20, log.Events.Count(e => e.ClientAddress.StartsWith("2001:db8::", StringComparison.Ordinal) && e.Action != AuditShaper.SuppressedAction));
        var suppressed = log.Events.Single(e => e.Action == AuditShaper.SuppressedAction);
        Assert.Equal(980, suppressed.Count);
        Assert.Equal("2001:db8::/64", suppressed.ClientAddress);
        Assert.Equal(30, log.Events.Count(e => e.Principal == "alice"));
        Assert.Equal(1030, log.Events.Sum(e => e.Count)); // every event is accounted for

        // A minute later the source has a new budget.
        time.Advance(TimeSpan.FromMinutes(1));
        recorder.Record("late", "2001:db8::1", "login", "failure");
        await recorder.DrainAsync();
        Assert.Contains(log.Events, e => e.Principal == "late");
    }
}
