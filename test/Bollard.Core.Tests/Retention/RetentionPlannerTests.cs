using System.Text;
using Bollard.Core.Auth;
using Bollard.Core.Immutability;
using Bollard.Core.Oci;
using Bollard.Core.Retention;

namespace Bollard.Core.Tests.Retention;

public sealed class RetentionPlannerTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static RetentionPolicy Policy(long id, string ns, int? keepLast, RetentionOrder order = RetentionOrder.Pushed, string[]? keep = null, TimeSpan? untagged = null) =>
        new(id, NamespacePattern.Parse(ns), keepLast, order, (keep ?? []).Select(TagPattern.Parse).ToList(), untagged, "admin", T0);

    private static TagTimes Tag(string name, int pushedMinute, int? pulledMinute = null) =>
        new(name, Digest.Sha256Of(Encoding.UTF8.GetBytes(name)), T0.AddMinutes(pushedMinute), pulledMinute is { } p ? T0.AddMinutes(p) : null, null);

    private static List<string> Plan(IReadOnlyList<TagTimes> tags, params RetentionPolicy[] policies) =>
        RetentionPlanner.Plan(policies, tags).Select(p => p.Tag.Tag).ToList();

    [Fact]
    public void KeepLastByPush_RemovesTheOlder_PatternsKeptAndNotCounted()
    {
        TagTimes[] tags = [Tag("latest", 0), Tag("a", 1), Tag("b", 2), Tag("c", 3), Tag("d", 4)];
        Assert.Equal(["a", "b"], Plan(tags, Policy(1, "**", 2, keep: ["latest"])));
        Assert.Equal(["a", "b", "latest"], Plan(tags, Policy(1, "**", 2)));
        Assert.Empty(Plan(tags, Policy(1, "**", 10)));
        Assert.Empty(Plan(tags, Policy(1, "**", null, untagged: TimeSpan.FromDays(1))));
    }

    [Fact]
    public void KeepLastByPull_OrdersByLastUse_NeverPulledCountsFromItsPush()
    {
        // a: pushed first, pulled last; b: pushed second, never pulled; c: pushed third, pulled before c's push (ignored: older).
        TagTimes[] tags = [Tag("a", 0, pulledMinute: 10), Tag("b", 1), Tag("c", 3, pulledMinute: 2)];
        Assert.Equal(["b"], Plan(tags, Policy(1, "**", 2, RetentionOrder.Pulled)));
        Assert.Equal(["a"], Plan(tags, Policy(1, "**", 2, RetentionOrder.Pushed)));
    }

    [Fact]
    public void SeveralPolicies_ATagGoesOnlyWhenEveryPolicyWithKeepLastLetsItGo()
    {
        TagTimes[] tags = [Tag("a", 0), Tag("b", 1), Tag("c", 2), Tag("d", 3)];
        // One keeps 1 (would drop a, b, c); the other keeps 3 (would drop a): only a goes.
        Assert.Equal(["a"], Plan(tags, Policy(1, "**", 1), Policy(2, "apps/**", 3)));
        // A policy that keeps "a" by pattern keeps it whatever the other says.
        Assert.Equal(["b", "c"], Plan(tags, Policy(1, "**", 1), Policy(2, "apps/**", 0, keep: ["a"])));
    }

    [Fact]
    public void CosignTags_AreNeverCandidates()
    {
        string sig = "sha256-" + new string('a', 64) + ".sig";
        TagTimes[] tags = [Tag(sig, 0), Tag("a", 1), Tag("b", 2)];
        Assert.Equal(["a"], Plan(tags, Policy(1, "**", 1)));
        Assert.True(RetentionPlanner.IsCosignTag("sha256-" + new string('0', 64)));
        Assert.False(RetentionPlanner.IsCosignTag("sha256-abc.sig"));
        Assert.False(RetentionPlanner.IsCosignTag("release-" + new string('a', 64)));
    }

    [Fact]
    public async Task UntaggedPolicy_IsTheLongestOfTheMatchingPolicies_NullWhenNoneSetsIt()
    {
        var store = new InMemoryRetentionStore();
        await store.AddAsync(Policy(0, "**", 5), default);
        using var policies = new RetentionPolicies(store);
        var answer = new RetentionUntaggedManifestPolicy(policies);
        Assert.Null(await answer.UntaggedRetentionAsync(RepositoryName.Parse("apps/web"), default));

        await store.AddAsync(Policy(0, "apps/**", null, untagged: TimeSpan.FromDays(7)), default);
        await store.AddAsync(Policy(0, "apps/web", null, untagged: TimeSpan.FromDays(30)), default);
        policies.Invalidate();
        Assert.Equal(TimeSpan.FromDays(30), await answer.UntaggedRetentionAsync(RepositoryName.Parse("apps/web"), default));
        Assert.Equal(TimeSpan.FromDays(7), await answer.UntaggedRetentionAsync(RepositoryName.Parse("apps/api"), default));
        Assert.Null(await answer.UntaggedRetentionAsync(RepositoryName.Parse("tools/x"), default));
    }

    private sealed class InMemoryRetentionStore : IRetentionStore
    {
        private readonly List<RetentionPolicy> _policies = [];

        public ValueTask<IReadOnlyList<RetentionPolicy>> ListAsync(CancellationToken ct) => ValueTask.FromResult<IReadOnlyList<RetentionPolicy>>(_policies.ToList());

        public ValueTask<RetentionPolicy?> AddAsync(RetentionPolicy policy, CancellationToken ct)
        {
            var added = policy with { Id = _policies.Count + 1 };
            _policies.Add(added);
            return ValueTask.FromResult<RetentionPolicy?>(added);
        }

        public ValueTask<bool> DeleteAsync(long id, CancellationToken ct) => ValueTask.FromResult(_policies.RemoveAll(p => p.Id == id) > 0);
    }
}
