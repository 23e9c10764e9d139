using System.Text;
using System.Text.Json.Nodes;
using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Registry.Hooks;
using Bollard.Core.Storage;
using Bollard.Core.Tests.Support;

namespace Bollard.Core.Tests.Registry;

/// <summary>Registry logic over in-memory metadata: pushes, tags, deletes, push checks, the pull gate and the outbox.</summary>
public sealed class ManifestServiceTests
{
    private static readonly RepositoryName Repo = RepositoryName.Parse("team/app");
    private static readonly RegistryActor Alice = new("alice", "10.0.0.1");
    private readonly InMemoryMetadataStore _store = new();
    private readonly List<IPushCheck> _checks = [];
    private IPullGate _gate = new AllowAllPullGate();

    private ManifestService Service(RegistryOptions? options = null) =>
        new(_store, _store, _store, new StoredManifestReader(_store), _checks, _gate, options ?? new RegistryOptions(), TimeProvider.System);

    private static Digest D(string s) => Digest.Sha256Of(Encoding.UTF8.GetBytes(s));

    private async Task LinkAsync(params Digest[] blobs)
    {
        await using var tx = await _store.BeginWriteAsync(default);
        await tx.EnsureRepositoryAsync(Repo, default);
        foreach (var d in blobs) await tx.LinkBlobAsync(Repo, d, 1, default);
        await tx.CommitAsync(default);
    }

    private static byte[] Image(Digest config, params Digest[] layers) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["schemaVersion"] = 2,
        ["mediaType"] = MediaTypes.OciManifest,
        ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = config.ToString(), ["size"] = 1 },
        ["layers"] = new JsonArray(layers.Select(l => (JsonNode)new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar", ["digest"] = l.ToString(), ["size"] = 1 }).ToArray()),
    }.ToJsonString());

    private static byte[] Index(params Digest[] children) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["schemaVersion"] = 2,
        ["mediaType"] = MediaTypes.OciIndex,
        ["manifests"] = new JsonArray(children.Select(c => (JsonNode)new JsonObject { ["mediaType"] = MediaTypes.OciManifest, ["digest"] = c.ToString(), ["size"] = 1 }).ToArray()),
    }.ToJsonString());

    private Task<(Digest Digest, ParsedManifest Parsed)> PutAsync(string reference, byte[] body, string mediaType = MediaTypes.OciManifest) =>
        Service().PutAsync(Repo, Reference.Parse(reference), body, mediaType, Alice, default);

    [Fact]
    public async Task ListRepositories_ExaminesAtMostTheScanBudget_PerRequest_AndTheLinksStillReachEveryVisibleName()
    {
        await using (var tx = await _store.BeginWriteAsync(default))
        {
            for (int i = 0; i < 30; i++) await tx.EnsureRepositoryAsync(RepositoryName.Parse($"private/r{i:00}"), default);
            await tx.CommitAsync(default);
        }
        string[] mine = ["private/r05", "private/r17", "private/r28"];
        var service = Service(new RegistryOptions { MaxCatalogScan = 10 });
        var found = new List<string>();
        string? last = null;
        int requests = 0;
        while (true)
        {
            int examined = 0;
            var page = await service.ListRepositoriesAsync(5, last, name => { examined++; return new(mine.Contains(name.Value)); }, default);
            requests++;
            // Old code read all 30 names for a caller who may see 3 (issue 6 B6).
            Assert.InRange(examined, 0, 10);
            Assert.Equal(5, page.Limit);
            found.AddRange(page.Items);
            if (!page.HasMore) break;
            Assert.True(string.CompareOrdinal(page.Last, last) > 0, "the cursor moves forward");
            last = page.Last;
            Assert.True(requests < 10, "pagination ends");
        }
        Assert.Equal(mine, found);
    }

    [Fact]
    public async Task ListRepositories_ABudgetBelowThePageSize_StillFillsAWholePage()
    {
        await using (var tx = await _store.BeginWriteAsync(default))
        {
            for (int i = 0; i < 8; i++) await tx.EnsureRepositoryAsync(RepositoryName.Parse($"open/r{i}"), default);
            await tx.CommitAsync(default);
        }
        var page = await Service(new RegistryOptions { MaxCatalogScan = 1 }).ListRepositoriesAsync(5, null, _ => new(true), default);
        Assert.Equal(["open/r0", "open/r1", "open/r2", "open/r3", "open/r4"], page.Items);
        Assert.True(page.HasMore);
        Assert.Equal("open/r4", page.Last);
    }

    [Fact]
    public async Task Put_ThenGetByTagAndDigest_WritesEventsInOrder_WithTheActor()
    {
        await LinkAsync(D("config"), D("layer"));
        int before = _store.AllEvents.Count;
        var (digest, _) = await PutAsync("v1", Image(D("config"), D("layer")));

        Assert.Equal(digest, (await Service().GetAsync(Repo, Reference.Parse("v1"), Alice, default)).Digest);
        Assert.Equal(digest, (await Service().GetAsync(Repo, new Reference(null, digest), Alice, default)).Digest);
        var events = _store.AllEvents.Skip(before).ToList();
        Assert.Equal([RegistryEventKind.ManifestPushed, RegistryEventKind.TagCreated], events.Select(e => e.Kind));
        Assert.All(events, e => Assert.Equal(("alice", "10.0.0.1", Repo), (e.Principal, e.ClientAddress, e.Repository)));
        Assert.Equal(("v1", digest), (events[0].Tag, events[0].Digest!.Value));
        Assert.True(events[0].Sequence < events[1].Sequence);
    }

    [Fact]
    public async Task Put_SameTagOtherManifest_MovesTag_WithPrevious_AndSameManifestAgainMovesNothing()
    {
        await LinkAsync(D("config"), D("a"), D("b"));
        var (one, _) = await PutAsync("v1", Image(D("config"), D("a")));
        var (two, _) = await PutAsync("v1", Image(D("config"), D("b")));
        int before = _store.AllEvents.Count;
        await PutAsync("v1", Image(D("config"), D("b")));

        var moved = _store.AllEvents.Single(e => e.Kind == RegistryEventKind.TagMoved);
        Assert.Equal((two, one), (moved.Digest!.Value, moved.PreviousDigest!.Value));
        Assert.Equal([RegistryEventKind.ManifestPushed], _store.AllEvents.Skip(before).Select(e => e.Kind));
    }

    [Fact]
    public async Task Put_FirstInRepository_RecordsRepositoryCreated()
    {
        await using (var tx = await _store.BeginWriteAsync(default))
        {
            await tx.EnsureRepositoryAsync(RepositoryName.Parse("other"), default);
            await tx.CommitAsync(default);
        }
        var (digest, _) = await PutAsync("empty", Index(), MediaTypes.OciIndex);
        Assert.Equal([RegistryEventKind.RepositoryCreated, RegistryEventKind.ManifestPushed, RegistryEventKind.TagCreated], _store.AllEvents.Select(e => e.Kind));
        Assert.Equal(digest, _store.AllEvents[1].Digest);
    }

    [Fact]
    public async Task Put_MissingLayers_IsManifestBlobUnknown_WithoutTakingTheWriter()
    {
        await LinkAsync(D("config"));
        int begun = _store.WriteTransactionsBegun;
        var layers = Enumerable.Range(0, 2000).Select(i => D($"missing{i}")).ToArray();

        var e = await Assert.ThrowsAsync<OciException>(() => PutAsync("v1", Image(D("config"), layers)));

        Assert.Equal("MANIFEST_BLOB_UNKNOWN", e.Error.Code);
        Assert.Contains("and 1999 more", e.Detail, StringComparison.Ordinal);
        Assert.Equal(begun, _store.WriteTransactionsBegun); // B7: refused on the read side
        Assert.Empty(_store.AllEvents);
    }

    [Fact]
    public async Task Put_ReferenceRemovedBetweenCheckAndWrite_IsCaughtInsideTheTransaction()
    {
        await LinkAsync(D("config"), D("layer"));
        // A concurrent blob delete lands after the read-side check and before this push gets the writer.
        _store.OnBeginWrite = state => { state.Repo(Repo)!.Blobs.Remove(D("layer")); state.Repo(Repo)!.Generation++; };

        var e = await Assert.ThrowsAsync<OciException>(() => PutAsync("v1", Image(D("config"), D("layer"))));

        Assert.Equal("MANIFEST_BLOB_UNKNOWN", e.Error.Code);
        Assert.Null(await _store.GetByTagAsync(Repo, "v1", default));
    }

    [Fact]
    public async Task Put_OverTheReferenceCap_IsManifestInvalid_NamingTheSetting()
    {
        await LinkAsync(D("config"), D("a"), D("b"));
        var e = await Assert.ThrowsAsync<OciException>(() =>
            Service(new RegistryOptions { MaxManifestReferences = 2 }).PutAsync(Repo, Reference.Parse("v1"), Image(D("config"), D("a"), D("b")), MediaTypes.OciManifest, Alice, default));
        Assert.Equal("MANIFEST_INVALID", e.Error.Code);
        Assert.Contains("Registry:MaxManifestReferences", e.Detail, StringComparison.Ordinal);
        Assert.Equal(1, _store.WriteTransactionsBegun); // only LinkAsync's
    }

    [Fact]
    public async Task PushCheck_Refusing_GetsTheContext_AndNothingIsWritten()
    {
        await LinkAsync(D("config"), D("a"), D("b"));
        var (first, _) = await PutAsync("v1", Image(D("config"), D("a")));
        var events = _store.AllEvents.Count;
        var check = new RecordingCheck(PushCheckResult.Refuse("tag v1 is immutable"));
        _checks.Add(check);

        var e = await Assert.ThrowsAsync<OciException>(() => PutAsync("v1", Image(D("config"), D("b"))));

        Assert.Equal(("DENIED", "tag v1 is immutable"), (e.Error.Code, e.Detail));
        var seen = Assert.Single(check.Seen);
        Assert.Equal((RegistryChange.PutManifest, Repo, "v1", first, Alice), (seen.Change, seen.Repository, seen.Tag, seen.PreviousTagTarget!.Value, seen.Actor));
        Assert.False(seen.ManifestExisted);
        Assert.NotNull(seen.Manifest);
        Assert.Equal(first, (await _store.GetByTagAsync(Repo, "v1", default))!.Digest);
        Assert.Null(await _store.GetAsync(Repo, Digest.Sha256Of(Image(D("config"), D("b"))), default));
        Assert.Equal(events, _store.AllEvents.Count);
    }

    [Fact]
    public async Task PushCheck_RefusingADelete_KeepsTheManifestAndTag()
    {
        await LinkAsync(D("config"), D("a"));
        var (digest, _) = await PutAsync("v1", Image(D("config"), D("a")));
        _checks.Add(new RecordingCheck(PushCheckResult.Allow));
        _checks.Add(new RecordingCheck(PushCheckResult.Refuse("retention hold", OciErrors.Unsupported)));

        var byTag = await Assert.ThrowsAsync<OciException>(() => Service().DeleteAsync(Repo, Reference.Parse("v1"), Alice, default));
        var byDigest = await Assert.ThrowsAsync<OciException>(() => Service().DeleteAsync(Repo, new Reference(null, digest), Alice, default));

        Assert.Equal("UNSUPPORTED", byTag.Error.Code);
        Assert.Equal("UNSUPPORTED", byDigest.Error.Code);
        Assert.Equal([RegistryChange.DeleteTag, RegistryChange.DeleteManifest], ((RecordingCheck)_checks[0]).Seen.Select(c => c.Change));
        Assert.Equal(digest, (await _store.GetByTagAsync(Repo, "v1", default))!.Digest);
    }

    [Fact]
    public async Task DeleteByDigest_RemovesTags_WithCascadeEvents_AndAChildOfAnIndexIsDenied()
    {
        await LinkAsync(D("config"), D("a"));
        var (child, _) = await PutAsync("amd64", Image(D("config"), D("a")));
        await PutAsync("v1", Index(child), MediaTypes.OciIndex);
        var (index, _) = await PutAsync("v2", Index(child), MediaTypes.OciIndex);

        var denied = await Assert.ThrowsAsync<OciException>(() => Service().DeleteAsync(Repo, new Reference(null, child), Alice, default));
        Assert.Equal("DENIED", denied.Error.Code);
        Assert.Contains(index.ToString(), denied.Detail, StringComparison.Ordinal);

        int before = _store.AllEvents.Count;
        await Service().DeleteAsync(Repo, new Reference(null, index), Alice, default);
        var events = _store.AllEvents.Skip(before).ToList();
        Assert.Equal([RegistryEventKind.TagDeleted, RegistryEventKind.TagDeleted, RegistryEventKind.ManifestDeleted], events.Select(e => e.Kind));
        Assert.Equal(["v1", "v2"], events.Take(2).Select(e => e.Tag));
        Assert.All(events.Take(2), e => Assert.Equal(RegistryEvent.CascadeDetail, e.Detail));

        await Service().DeleteAsync(Repo, new Reference(null, child), Alice, default);
        Assert.Empty(await _store.ListTagsAsync(Repo, null, 10, default));
        var unknown = await Assert.ThrowsAsync<OciException>(() => Service().DeleteAsync(Repo, Reference.Parse("amd64"), Alice, default));
        Assert.Equal("MANIFEST_UNKNOWN", unknown.Error.Code);
        var noRepo = await Assert.ThrowsAsync<OciException>(() => Service().DeleteAsync(RepositoryName.Parse("nope"), Reference.Parse("v1"), Alice, default));
        Assert.Equal("NAME_UNKNOWN", noRepo.Error.Code);
    }

    [Fact]
    public async Task PullGate_Deny_IsDeniedWithReasons_ButSignaturesAndReferrersAreNotGated()
    {
        await LinkAsync(D("config"), D("a"), D("sig"));
        var (image, _) = await PutAsync("v1", Image(D("config"), D("a")));
        string cosignTag = "sha256-" + image.ToString()["sha256:".Length..] + ".sig";
        await PutAsync(cosignTag, Image(D("config"), D("sig")));
        var referrerBody = JsonNode.Parse(Image(D("config"), D("sig")))!;
        referrerBody["subject"] = new JsonObject { ["mediaType"] = MediaTypes.OciManifest, ["digest"] = image.ToString(), ["size"] = 1 };
        var (referrer, _) = await PutAsync("sbom", Encoding.UTF8.GetBytes(referrerBody.ToJsonString()));
        var gate = new DenyingGate();
        _gate = gate;

        var e = await Assert.ThrowsAsync<OciException>(() => Service().GetAsync(Repo, Reference.Parse("v1"), Alice, default));
        Assert.Equal(("DENIED", "unsigned; critical findings"), (e.Error.Code, e.Detail));
        Assert.Equal((Repo, image, Alice), (gate.Seen[0].Repository, gate.Seen[0].Manifest.Digest, gate.Seen[0].Actor));

        Assert.NotNull(await Service().GetAsync(Repo, Reference.Parse(cosignTag), Alice, default));
        Assert.NotNull(await Service().GetAsync(Repo, new Reference(null, referrer), Alice, default));
        Assert.Single(gate.Seen);
        var missing = await Assert.ThrowsAsync<OciException>(() => Service().GetAsync(Repo, Reference.Parse("nope"), Alice, default));
        Assert.Equal("MANIFEST_UNKNOWN", missing.Error.Code);
    }

    private sealed class RecordingCheck(PushCheckResult result) : IPushCheck
    {
        public List<PushCheckContext> Seen { get; } = [];

        public ValueTask<PushCheckResult> CheckAsync(PushCheckContext context, CancellationToken ct)
        {
            Seen.Add(context);
            return new(result);
        }
    }

    private sealed class DenyingGate : IPullGate
    {
        public List<PullGateContext> Seen { get; } = [];

        public ValueTask<PullDecision> DecideAsync(PullGateContext context, CancellationToken ct)
        {
            Seen.Add(context);
            return new(PullDecision.Deny("unsigned", "critical findings"));
        }
    }
}
