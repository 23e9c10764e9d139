using Bollard.Core.Mirror.Eviction;
using Bollard.Core.Oci;
using Bollard.Core.Retention;

namespace Bollard.Core.Tests.Mirror;

public class MirrorEvictionPlannerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Digest D = Digest.Sha256Of("x"u8);

    private static TagTimes Tag(string tag, int pushedDay, int? tagPulledDay = null, int? manifestPulledDay = null) =>
        new(tag, D, T0.AddDays(pushedDay), tagPulledDay is { } t ? T0.AddDays(t) : null, manifestPulledDay is { } m ? T0.AddDays(m) : null);

    private static IReadOnlyList<string> Plan(DateTimeOffset cutoff, IReadOnlySet<string>? keep = null, params TagTimes[] tags) =>
        MirrorEvictionPlanner.Plan(tags, cutoff, keep ?? new HashSet<string>()).Select(t => t.Tag).ToList();

    [Fact]
    public void Plan_NotUsedSinceCutoff_Evicted_UsedKept()
    {
        var evicted = Plan(T0.AddDays(30), null,
            Tag("old", 0), Tag("pulled", 0, tagPulledDay: 31), Tag("digest-pulled", 0, manifestPulledDay: 40), Tag("fresh", 35), Tag("pulled-long-ago", 0, 10, 12));
        Assert.Equal(["old", "pulled-long-ago"], evicted);
    }

    [Fact]
    public void Plan_CosignTagsAndSyncList_NeverChosen()
    {
        string sig = "sha256-" + new string('a', 64) + ".sig";
        var evicted = Plan(T0.AddDays(30), new HashSet<string> { "bookworm" }, Tag(sig, 0), Tag("bookworm", 0), Tag("trixie", 0));
        Assert.Equal(["trixie"], evicted);
    }

    [Fact]
    public void LastUsed_IsTheLatestOfPushAndPulls() =>
        Assert.Equal(T0.AddDays(9), MirrorEvictionPlanner.LastUsed(Tag("t", 3, 9, 5)));

    [Fact]
    public void PlanUntagged_NotStoredOrPulledSinceCutoff_Evicted()
    {
        var old = new ManifestTimes(Digest.Sha256Of("old"u8), T0, null);
        var pulled = new ManifestTimes(Digest.Sha256Of("pulled"u8), T0, T0.AddDays(31));
        var fresh = new ManifestTimes(Digest.Sha256Of("fresh"u8), T0.AddDays(35), null);
        var pulledLongAgo = new ManifestTimes(Digest.Sha256Of("long-ago"u8), T0, T0.AddDays(10));
        Assert.Equal([old.Digest, pulledLongAgo.Digest], MirrorEvictionPlanner.PlanUntagged([old, pulled, fresh, pulledLongAgo], T0.AddDays(30)).Select(m => m.Digest));
    }
}
