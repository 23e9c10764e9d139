using Bollard.Core.Gc;
using Bollard.Core.Oci;

namespace Bollard.Core.Tests.Gc;

/// <summary>The mark phase: what is kept, what goes, in which order.</summary>
public sealed class GcPlannerTests
{
    private static readonly RepositoryName Repo = RepositoryName.Parse("team/app");
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Old = Now - TimeSpan.FromDays(30);
    private static readonly TimeSpan Grace = TimeSpan.FromHours(1);

    private static Digest D(string seed) => Digest.Compute(DigestAlgorithm.Sha256, System.Text.Encoding.UTF8.GetBytes(seed));

    private static GcManifest M(string seed, string[]? tags = null, Digest? subject = null, Digest[]? children = null, Digest[]? blobs = null,
        DateTimeOffset? created = null, DateTimeOffset? untagged = null) =>
        new(D(seed), subject, created ?? Old, tags is { Length: > 0 } ? null : untagged ?? Old, tags ?? [], children ?? [], blobs ?? []);

    private static GcRepositoryPlan Plan(IReadOnlyList<GcManifest> manifests, IReadOnlyList<GcLink>? links = null, TimeSpan? retention = null, TimeSpan? grace = null) =>
        GcPlanner.Plan(new GcRepositorySnapshot(Repo, manifests, links ?? []), retention, Now, grace ?? Grace);

    [Fact]
    public void UntaggedManifests_AreKeptWithoutRetention_AndDeletedPastIt()
    {
        var manifests = new[] { M("tagged", ["v1"]), M("untagged-old", untagged: Old), M("untagged-new", untagged: Now - TimeSpan.FromDays(1)) };
        Assert.Empty(Plan(manifests).Manifests);
        var plan = Plan(manifests, retention: TimeSpan.FromDays(7));
        Assert.Equal([D("untagged-old")], plan.Manifests.Select(m => m.Digest));
        Assert.Equal("untagged", plan.Manifests[0].Reason);
    }

    [Fact]
    public void AnythingYoungerThanTheGrace_IsKept()
    {
        var plan = Plan([M("orphan-referrer", subject: D("missing"), created: Now - TimeSpan.FromMinutes(5))], retention: TimeSpan.Zero);
        Assert.Empty(plan.Manifests);
    }

    [Fact]
    public void ChildrenOfAKeptIndex_AreKept_AndADeletedIndexGoesBeforeItsChildren()
    {
        var keptIndex = M("index", ["v1"], children: [D("child-a")]);
        var oldIndex = M("old-index", children: [D("child-b")]);
        var plan = Plan([keptIndex, M("child-a"), oldIndex, M("child-b")], retention: TimeSpan.FromDays(1));
        Assert.Equal([D("old-index"), D("child-b")], plan.Manifests.Select(m => m.Digest));
        Assert.Equal([D("old-index")], plan.Manifests[1].DependsOn);
    }

    [Fact]
    public void ReferrerOfAGoneSubject_IsDeleted_EvenTagged_AndAReferrerOfADeletedSubjectGoesAfterIt()
    {
        var plan = Plan([
            M("orphan", ["sig"], subject: D("missing")),
            M("subject-old"),
            M("referrer-of-old", subject: D("subject-old")),
            M("tagged-subject", ["v1"]),
            M("kept-referrer", subject: D("tagged-subject")),
        ], retention: TimeSpan.FromDays(1));
        var order = plan.Manifests.Select(m => m.Digest).ToList();
        Assert.Equal(3, order.Count);
        Assert.Contains(D("orphan"), order);
        Assert.True(order.IndexOf(D("subject-old")) < order.IndexOf(D("referrer-of-old")));
        Assert.Equal([D("subject-old")], plan.Manifests.Single(m => m.Digest == D("referrer-of-old")).GoneSubjects);
        Assert.DoesNotContain(D("kept-referrer"), order);
    }

    [Fact]
    public void ATaggedReferrer_KeepsItsUntaggedSubject()
    {
        var plan = Plan([M("subject"), M("sbom", ["sbom-v1"], subject: D("subject"))], retention: TimeSpan.FromDays(1));
        Assert.Empty(plan.Manifests);
    }

    [Fact]
    public void CosignTagsOfAGoneSubject_GoWithIt_AndOfAKeptSubjectStay()
    {
        var gone = D("gone-image");
        var kept = M("image", ["v1"]);
        string Sig(Digest d) => $"sha256-{d.Hex}.sig";
        var plan = Plan([kept, M("sig-of-kept", [Sig(kept.Digest)]), M("sig-of-gone", [Sig(gone), $"sha256-{gone.Hex}.att"])]);
        var deletion = Assert.Single(plan.Manifests);
        Assert.Equal((D("sig-of-gone"), "signature subject gone"), (deletion.Digest, deletion.Reason));
        Assert.Equal([gone], deletion.GoneSubjects);
        Assert.Equal(2, deletion.Tags.Count);
        Assert.Equal(gone, GcPlanner.CosignSubject(Sig(gone)));
        Assert.Null(GcPlanner.CosignSubject("v1.2-rc"));
        Assert.Null(GcPlanner.CosignSubject("sha256-short.sig"));
    }

    [Fact]
    public void Links_GoWhenUnreferencedAndOlderThanTheGrace_OrReleasedByThisRunWithZeroGrace()
    {
        var used = new GcLink(D("layer-used"), 10, Old);
        var stale = new GcLink(D("layer-stale"), 20, Old);
        var fresh = new GcLink(D("layer-fresh"), 30, Now - TimeSpan.FromMinutes(1)); // pushed just before its manifest
        var ofDeleted = new GcLink(D("layer-of-deleted"), 40, Old);
        var manifests = new[] { M("v1", ["v1"], blobs: [used.Digest]), M("old", blobs: [ofDeleted.Digest, used.Digest]) };
        var links = new[] { used, stale, fresh, ofDeleted };

        var plan = Plan(manifests, links, retention: TimeSpan.FromDays(1));
        Assert.Equal([D("old")], plan.Manifests.Select(m => m.Digest));
        // With a grace, a link the run's own delete released is released "now": it waits for the next run.
        Assert.Equal([stale.Digest], plan.Links.Select(l => l.Digest));

        var now = Plan(manifests, links, retention: TimeSpan.FromDays(1), grace: TimeSpan.Zero);
        Assert.Equal(new[] { stale.Digest, fresh.Digest, ofDeleted.Digest }.Select(d => d.ToString()).Order(StringComparer.Ordinal), now.Links.Select(l => l.Digest.ToString()));
    }

    [Fact]
    public void PlanLinks_KeepsTheLinksOfAManifestARefusalKept()
    {
        var layer = new GcLink(D("layer"), 10, Old);
        var snapshot = new GcRepositorySnapshot(Repo, [M("old", blobs: [layer.Digest])], [layer]);
        Assert.Single(GcPlanner.PlanLinks(snapshot, new HashSet<Digest> { D("old") }, Now, TimeSpan.Zero));
        Assert.Empty(GcPlanner.PlanLinks(snapshot, new HashSet<Digest>(), Now, TimeSpan.Zero));
    }
}
