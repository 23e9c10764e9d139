using Bollard.Core.Events;
using Bollard.Core.Trust;

namespace Bollard.Storage.Tests.Contracts;

/// <summary>The trust policy store and the decision log (issue 9): every metadata backend must pass these.</summary>
public abstract class TrustStoreContractTests : IDisposable
{
    protected abstract ITrustPolicyStore Policies { get; }
    protected abstract IDecisionLog Decisions { get; }
    protected abstract IEventStore Events { get; }

    public abstract void Dispose();

    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_123);

    private static TrustPolicyVersion V(string name, long version, string? document, string by = "admin", bool locked = false) => new()
    {
        Name = name, Version = version, Pattern = "prod/**", Mode = document is null ? "off" : "enforce", Document = document, Locked = locked,
        ChangedBy = by, ChangedAt = Now.AddMinutes(version), Comment = $"change {version}",
    };

    private static RegistryEvent Changed(string name, long version) =>
        new() { Kind = RegistryEventKind.PolicyChanged, Time = Now, Principal = "admin", Detail = $"{name} v{version}" };

    [Fact]
    public async Task Append_VersionsHistoryTombstone_EachWithItsEvent()
    {
        Assert.Null(await Policies.GetAsync("prod", default));
        Assert.Empty(await Policies.ListAsync(default));
        Assert.True(await Policies.AppendAsync(V("prod", 1, """{"a":1}""", locked: true), Changed("prod", 1), default));
        Assert.True(await Policies.AppendAsync(V("prod", 2, """{"a":2}""", by: "maintainer"), Changed("prod", 2), default));
        // Someone else's version 2 arrived first: nothing is stored, and no event.
        Assert.False(await Policies.AppendAsync(V("prod", 2, """{"a":3}"""), Changed("prod", 2), default));
        Assert.True(await Policies.AppendAsync(V("dev", 1, """{"d":1}"""), Changed("dev", 1), default));

        var latest = await Policies.GetAsync("prod", default);
        Assert.Equal(V("prod", 2, """{"a":2}""", by: "maintainer"), latest);
        Assert.Equal(V("prod", 1, """{"a":1}""", locked: true), await Policies.GetVersionAsync("prod", 1, default));
        Assert.Null(await Policies.GetVersionAsync("prod", 9, default));
        Assert.Equal(["dev", "prod"], (await Policies.ListAsync(default)).Select(p => p.Name));

        Assert.True(await Policies.AppendAsync(V("prod", 3, null), Changed("prod", 3), default));
        Assert.True((await Policies.GetAsync("prod", default))!.Deleted);
        Assert.Equal(["dev"], (await Policies.ListAsync(default)).Select(p => p.Name));
        Assert.Equal([3L, 2L, 1L], (await Policies.HistoryAsync("prod", 10, default)).Select(v => v.Version));
        Assert.Equal([3L, 2L], (await Policies.HistoryAsync("prod", 2, default)).Select(v => v.Version));
        Assert.Empty(await Policies.HistoryAsync("nope", 10, default));

        var events = await Events.ReadAsync(0, 100, default);
        Assert.Equal(["prod v1", "prod v2", "dev v1", "prod v3"], events.Where(e => e.Kind == RegistryEventKind.PolicyChanged).Select(e => e.Detail));
        Assert.All(events, e => Assert.Null(e.Repository));
    }

    [Fact]
    public async Task Decisions_AppendRecentFilterPrune()
    {
        var records = Enumerable.Range(1, 5).Select(i => new TrustDecisionRecord
        {
            Time = Now.AddSeconds(i), Repository = i % 2 == 0 ? "prod/a" : "prod/b", Digest = $"sha256:{i:x64}", Point = "pull", Allowed = i != 3,
            Mode = "enforce", Policy = i == 5 ? null : "prod", PolicyVersion = i == 5 ? null : i, Reasons = i == 3 ? ["unsigned", "critical CVE-1"] : [], Principal = "alice",
        }).ToList();
        await Decisions.AppendAsync(records, default);
        await Decisions.AppendAsync([], default);

        var recent = await Decisions.RecentAsync(null, 10, default);
        Assert.Equal([5, 4, 3, 2, 1], recent.Select(r => (int)r.Time.Subtract(Now).TotalSeconds));
        Assert.Equal(records[2] with { Id = recent[2].Id, Reasons = recent[2].Reasons }, recent[2]);
        Assert.Equal(["unsigned", "critical CVE-1"], recent[2].Reasons);
        Assert.Null(recent[0].PolicyVersion);
        Assert.Equal(["prod/a", "prod/a"], (await Decisions.RecentAsync("prod/a", 10, default)).Select(r => r.Repository));
        Assert.Single(await Decisions.RecentAsync(null, 1, default));

        Assert.Equal(3, await Decisions.PruneAsync(2, default));
        Assert.Equal(0, await Decisions.PruneAsync(2, default));
        Assert.Equal([5, 4], (await Decisions.RecentAsync(null, 10, default)).Select(r => (int)r.Time.Subtract(Now).TotalSeconds));
    }
}
