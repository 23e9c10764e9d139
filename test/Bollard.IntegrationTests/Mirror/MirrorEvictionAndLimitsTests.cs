using System.Net;
using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Bollard.IntegrationTests.Gc;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.IntegrationTests.Mirror;

/// <summary>
/// The mirror's housekeeping and fairness end to end, with access control on: eviction of images not pulled for
/// <c>EvictAfter</c> (by tag or only by digest) through the <c>mirror-evict</c> job and GC, the <c>mirror.fetch</c>
/// audit record of who pulled what, and the per-principal fetch limit (a stale serve, never an upstream request, for an
/// expired tag; 429 for a true miss).
/// </summary>
[Collection(MirrorOperationsGroup.Name)]
public sealed class MirrorEvictionAndLimitsTests : IAsyncLifetime
{
    private MirrorOpsHarness _h = null!;

    public async Task InitializeAsync() => _h = await MirrorOpsHarness.StartAsync(new Dictionary<string, string?>
    {
        ["Mirror:Upstreams:0:EvictAfter"] = "30.00:00:00",
    }, accessControl: true);

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private async Task<ManifestRecord?> TaggedAsync(string repo, string tag) =>
        await _h.Server.Services.GetRequiredService<IManifestStore>().GetByTagAsync(RepositoryName.Parse($"mirror/local/{repo}"), tag, default);

    [Fact]
    public async Task Eviction_removes_images_not_pulled_for_EvictAfter_and_keeps_those_pulled_by_tag_or_only_by_digest()
    {
        string old = MirrorOpsHarness.Unique("library/old"), recent = MirrorOpsHarness.Unique("library/recent"), pinned = MirrorOpsHarness.Unique("library/pinned");
        foreach (string repo in new[] { old, recent, pinned }) await _h.Upstream.Client.PushImageAsync(repo, "1", layers: 1);
        var (_, oldBlobs, _) = await _h.PullAsync(old, "1");
        var (_, recentBlobs, _) = await _h.PullAsync(recent, "1");
        var (pinnedDigest, pinnedBlobs, _) = await _h.PullAsync(pinned, "1");

        // 20 days on, one image is pulled by its tag, one only by its digest (as a deployment pinned to a digest does).
        _h.Clock.Advance(TimeSpan.FromDays(20));
        await _h.PullAsync(recent, "1");
        await _h.PullAsync(pinned, pinnedDigest);
        _h.Clock.Advance(TimeSpan.FromDays(15));

        var run = await _h.EvictAsync();
        Assert.True(run.GetProperty("state").GetString() == "Succeeded", run.ToString());
        Assert.StartsWith("1 tags and 1 manifests evicted", run.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Null(await TaggedAsync(old, "1"));
        Assert.NotNull(await TaggedAsync(recent, "1"));
        Assert.NotNull(await TaggedAsync(pinned, "1"));
        Assert.Empty(await _h.TagsAsync(old));
        Assert.Single(await _h.TagsAsync(pinned));
        var evicted = await _h.Access!.AssertAuditedAsync("mirror-eviction", "mirror.evict", "success", $"mirror/local/{old}");
        Assert.Contains(evicted, e => e.Reference == "1");

        // GC frees what only the evicted image held; the kept ones stay whole.
        await GcApi.RunAsync(_h.Api);
        foreach (string blob in oldBlobs) Assert.False(await GcApi.BlobStoredAsync(_h.Server, blob), $"{blob} of the evicted image is still stored");
        foreach (string blob in recentBlobs.Concat(pinnedBlobs)) Assert.True(await GcApi.BlobStoredAsync(_h.Server, blob), $"{blob} of a kept image was collected");
    }

    [Fact]
    public async Task Eviction_removes_images_pulled_only_by_digest_and_never_tagged_once_not_pulled_for_EvictAfter()
    {
        string old = MirrorOpsHarness.Unique("library/pinnedold"), recent = MirrorOpsHarness.Unique("library/pinnedrecent");
        var (_, oldDigest) = await _h.Upstream.Client.PushImageAsync(old, "1", layers: 1);
        var (_, recentDigest) = await _h.Upstream.Client.PushImageAsync(recent, "1", layers: 1);
        // Only ever pulled by digest through the mirror (a deployment pinned to a digest): no tag is cached for either.
        var (_, oldBlobs, _) = await _h.PullAsync(old, oldDigest);
        var (_, recentBlobs, _) = await _h.PullAsync(recent, recentDigest);
        Assert.Empty(await _h.TagsAsync(old));

        _h.Clock.Advance(TimeSpan.FromDays(20));
        await _h.PullAsync(recent, recentDigest);
        _h.Clock.Advance(TimeSpan.FromDays(15));

        var run = await _h.EvictAsync();
        Assert.True(run.GetProperty("state").GetString() == "Succeeded", run.ToString());
        Assert.StartsWith("0 tags and 1 manifests evicted", run.GetProperty("message").GetString(), StringComparison.Ordinal);
        var store = _h.Server.Services.GetRequiredService<IManifestStore>();
        Assert.Null(await store.GetAsync(RepositoryName.Parse($"mirror/local/{old}"), Digest.Parse(oldDigest), default));
        Assert.NotNull(await store.GetAsync(RepositoryName.Parse($"mirror/local/{recent}"), Digest.Parse(recentDigest), default));
        await _h.Access!.AssertAuditedAsync("mirror-eviction", "mirror.evict", "success", $"mirror/local/{old}", e => e.Reference == oldDigest);

        await GcApi.RunAsync(_h.Api);
        foreach (string blob in oldBlobs) Assert.False(await GcApi.BlobStoredAsync(_h.Server, blob), $"{blob} of the evicted image is still stored");
        foreach (string blob in recentBlobs) Assert.True(await GcApi.BlobStoredAsync(_h.Server, blob), $"{blob} of a kept image was collected");
    }

    [Fact]
    public async Task A_pull_through_the_mirror_is_audited_with_who_pulled_what()
    {
        string repo = MirrorOpsHarness.Unique("library/audited");
        await _h.Upstream.Client.PushImageAsync(repo, "7", layers: 1);
        var user = await _h.Access!.CreateUserWithRoleAsync(MirrorOpsHarness.Unique("puller"), "reader", "mirror/**");

        var (digest, blobs, _) = await _h.PullAsync(repo, "7", _h.Access.Registry(user));

        var manifest = await _h.Access.AssertAuditedAsync(user.User, "mirror.fetch", "success", $"mirror/local/{repo}", e => e.Reference == "7");
        Assert.Contains($"manifest from local/{repo}", Assert.Single(manifest).Detail, StringComparison.Ordinal);
        foreach (string blob in blobs)
            await _h.Access.AssertAuditedAsync(user.User, "mirror.fetch", "success", $"mirror/local/{repo}", e => e.Reference == blob);

        // A hit asks nobody upstream and is not a mirror fetch.
        await _h.PullAsync(repo, digest, _h.Access.Registry(user));
        Assert.Single(await _h.Access.AuditAsync(user.User, "mirror.fetch", repository: $"mirror/local/{repo}"), e => e.Reference == "7");
    }
}

/// <summary>The per-principal fetch limit (Mirror:FetchesPerMinutePerPrincipal = 3) end to end, with access control on.</summary>
[Collection(MirrorOperationsGroup.Name)]
public sealed class MirrorFetchLimitTests : IAsyncLifetime
{
    private MirrorOpsHarness _h = null!;

    public async Task InitializeAsync() => _h = await MirrorOpsHarness.StartAsync(new Dictionary<string, string?>
    {
        ["Mirror:FetchesPerMinutePerPrincipal"] = "3",
    }, accessControl: true);

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Over_its_fetch_limit_a_principal_gets_an_expired_tag_stale_without_an_upstream_request_and_429_for_a_miss()
    {
        string repo = MirrorOpsHarness.Unique("library/limited");
        foreach (string tag in new[] { "cached", "a", "b", "c", "miss" }) await _h.Upstream.Client.PushImageAsync(repo, tag, layers: 1);
        var user = await _h.Access!.CreateUserWithRoleAsync(MirrorOpsHarness.Unique("greedy"), "reader", "mirror/**");
        var client = _h.Access.Registry(user);
        using (var warm = await _h.GetManifestAsync(repo, "cached", client)) Assert.Equal(HttpStatusCode.OK, warm.StatusCode);

        // The tag's TTL expires (the bucket refills meanwhile), then three misses use the principal's three fetches up.
        _h.Clock.Advance(TimeSpan.FromMinutes(6));
        foreach (string tag in new[] { "a", "b", "c" })
            using (var miss = await _h.GetManifestAsync(repo, tag, client)) Assert.Equal(HttpStatusCode.OK, miss.StatusCode);
        _h.Proxy.Reset();

        using var stale = await _h.GetManifestAsync(repo, "cached", client);
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal("110 - \"Response is Stale\"", MirrorOpsHarness.Header(stale, "Warning"));
        Assert.Contains("state=stale; reason=\"revalidation postponed", MirrorOpsHarness.Header(stale, "Bollard-Mirror"), StringComparison.Ordinal);
        Assert.Empty(_h.Proxy.Requests);

        using var limited = await _h.GetManifestAsync(repo, "miss", client);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("TOOMANYREQUESTS", await limited.ErrorCodeAsync());
        Assert.True(limited.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 }, "Retry-After");
        Assert.Empty(_h.Proxy.Requests);

        // Another principal is not held back by this one's limit: it revalidates the tag.
        using var other = await _h.GetManifestAsync(repo, "cached");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.EndsWith("state=fresh", MirrorOpsHarness.Header(other, "Bollard-Mirror"), StringComparison.Ordinal);
        Assert.Equal(1, _h.Proxy.Count($"/v2/{repo}/manifests/cached", "HEAD"));
    }
}
