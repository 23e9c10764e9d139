using Bollard.Core.Mirror;
using Bollard.Core.Oci;
using Bollard.Core.Registry;

namespace Bollard.Storage.Tests.Mirror;

/// <summary>The manifest side of the pull-through mirror: TTL, revalidation, stale serving, errors, vetting, shared fetches.</summary>
public sealed class MirrorManifestReaderTests : IDisposable
{
    private readonly MirrorTestbed _m = new();

    public void Dispose() => _m.Dispose();

    private static UpstreamException Refused() => new(UpstreamFailure.Unreachable, "connection refused (upstream.test:5000)");

    [Fact]
    public async Task ByTag_WithinTtl_NoUpstreamRequest_AfterIt_OneHead()
    {
        var v1 = _m.Fake.Put(FakeUpstreamRegistry.Image("3.20"), tag: "3.20");

        var first = await _m.PullAsync("3.20");
        Assert.Equal(v1, first.Digest);
        Assert.Equal((0, 1), (_m.Fake.Heads, _m.Fake.Gets));
        Assert.Equal(new Bollard.Core.Storage.CacheFreshness("up", _m.Clock.GetUtcNow(), false, null), first.Freshness);

        _m.Clock.Advance(TimeSpan.FromMinutes(4));
        var hit = await _m.PullAsync("3.20");
        Assert.Equal(v1, hit.Digest);
        Assert.Equal(0, _m.Fake.Requests - 1);
        Assert.False(hit.Freshness!.Stale);

        _m.Clock.Advance(TimeSpan.FromMinutes(2));
        var revalidated = await _m.PullAsync("3.20");
        Assert.Equal(v1, revalidated.Digest);
        Assert.Equal((1, 1), (_m.Fake.Heads, _m.Fake.Gets));
        Assert.Equal(_m.Clock.GetUtcNow(), revalidated.Freshness!.CheckedAt);
        Assert.Equal((1L, 1L, 1L), (_m.Count.ManifestMisses, _m.Count.Revalidations, _m.Count.ManifestHits));

        // The TTL counts again from the HEAD.
        _m.Clock.Advance(TimeSpan.FromMinutes(4));
        await _m.PullAsync("3.20");
        Assert.Equal((1, 1), (_m.Fake.Heads, _m.Fake.Gets));
    }

    [Fact]
    public async Task TagMovedUpstream_SeenAfterTheTtl_NotBefore()
    {
        var v1 = _m.Fake.Put(FakeUpstreamRegistry.Image("one"), tag: "latest");
        Assert.Equal(v1, (await _m.PullAsync("latest")).Digest);
        var v2 = _m.Fake.Put(FakeUpstreamRegistry.Image("two"), tag: "latest");

        _m.Clock.Advance(TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(59));
        Assert.Equal(v1, (await _m.PullAsync("latest")).Digest);
        Assert.Equal(1, _m.Fake.Requests);

        _m.Clock.Advance(TimeSpan.FromSeconds(2));
        var moved = await _m.PullAsync("latest");
        Assert.Equal(v2, moved.Digest);
        Assert.False(moved.Freshness!.Stale);
        Assert.Equal((1, 2), (_m.Fake.Heads, _m.Fake.Gets));
        // The tag moved in the store too (a pull of the old digest still works: it is cached).
        Assert.Equal(v2, (await _m.Stored.GetAsync(MirrorTestbed.Repo, new Reference("latest", null), default))!.Digest);
        Assert.Equal(v2, (await _m.Tags.GetTagAsync(MirrorTestbed.Repo, "latest", default))!.Digest);
        Assert.Equal(v1, (await _m.PullAsync(v1.ToString())).Digest);
        Assert.Equal((1, 2), (_m.Fake.Heads, _m.Fake.Gets));
    }

    [Fact]
    public async Task UpstreamDown_ServesTheCacheStale_WithTheReason_AndDoesNotRetryWithinTheTtl()
    {
        var v1 = _m.Fake.Put(FakeUpstreamRegistry.Image("3.20"), tag: "3.20");
        await _m.PullAsync("3.20");
        _m.Fake.Down = Refused();
        _m.Clock.Advance(TimeSpan.FromMinutes(6));
        var failedAt = _m.Clock.GetUtcNow();

        var stale = await _m.PullAsync("3.20");
        Assert.Equal(v1, stale.Digest);
        Assert.True(stale.Freshness!.Stale);
        Assert.Contains("upstream unreachable", stale.Freshness.Reason, StringComparison.Ordinal);
        Assert.Equal(failedAt - TimeSpan.FromMinutes(6), stale.Freshness.CheckedAt);
        var state = (await _m.Tags.GetTagAsync(MirrorTestbed.Repo, "3.20", default))!;
        Assert.Equal(failedAt, state.FailedAt);
        Assert.True(state.Stale);
        Assert.Equal(1, _m.Fake.Heads);
        Assert.Empty(_m.Count.Errors); // counted by the upstream client (HttpUpstreamRegistry), once: the fake does not
        Assert.Equal(1L, _m.Count.StaleServed);

        // Within the TTL of the failure: no retry, still stale; by digest it is simply served.
        _m.Clock.Advance(TimeSpan.FromMinutes(4));
        Assert.True((await _m.PullAsync("3.20")).Freshness!.Stale);
        Assert.Equal(v1, (await _m.PullAsync(v1.ToString())).Digest);
        Assert.Equal(1, _m.Fake.Heads);

        // Back up and past the TTL: fresh again.
        _m.Fake.Down = null;
        _m.Clock.Advance(TimeSpan.FromMinutes(2));
        var fresh = await _m.PullAsync("3.20");
        Assert.False(fresh.Freshness!.Stale);
        Assert.Null(fresh.Freshness.Reason);
        Assert.Null((await _m.Tags.GetTagAsync(MirrorTestbed.Repo, "3.20", default))!.FailedAt);
    }

    [Theory]
    [InlineData(UpstreamFailure.Timeout, "upstream timed out")]
    [InlineData(UpstreamFailure.RateLimited, "rate-limited (429)")]
    [InlineData(UpstreamFailure.Unauthorized, "upstream refused the credentials")]
    [InlineData(UpstreamFailure.ServerError, "upstream error")]
    public async Task AnyUpstreamFailure_OnRevalidation_ServesStale(UpstreamFailure failure, string reason)
    {
        var v1 = _m.Fake.Put(FakeUpstreamRegistry.Image("x"), tag: "x");
        await _m.PullAsync("x");
        _m.Fake.Down = new UpstreamException(failure, "it failed");
        _m.Clock.Advance(TimeSpan.FromMinutes(6));

        var stale = await _m.PullAsync("x");
        Assert.Equal(v1, stale.Digest);
        Assert.True(stale.Freshness!.Stale);
        Assert.StartsWith(reason, stale.Freshness.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TagRemovedUpstream_StaysServed_MarkedRemovedUpstream()
    {
        var v1 = _m.Fake.Put(FakeUpstreamRegistry.Image("old"), tag: "old");
        await _m.PullAsync("old");
        _m.Fake.Untag("old");
        _m.Clock.Advance(TimeSpan.FromMinutes(6));

        var served = await _m.PullAsync("old");
        Assert.Equal(v1, served.Digest);
        Assert.True(served.Freshness!.Stale);
        Assert.Contains("removed upstream", served.Freshness.Reason, StringComparison.Ordinal);
        var state = (await _m.Tags.GetTagAsync(MirrorTestbed.Repo, "old", default))!;
        Assert.True(state.RemovedUpstream);
        Assert.Null(state.FailedAt);

        // The upstream answered: no new HEAD within the TTL, and the tag is still served after it.
        _m.Clock.Advance(TimeSpan.FromMinutes(4));
        await _m.PullAsync("old");
        Assert.Equal(1, _m.Fake.Heads);
        _m.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(v1, (await _m.PullAsync("old")).Digest);
        Assert.Equal(2, _m.Fake.Heads);
    }

    [Theory]
    [InlineData(UpstreamFailure.Unreachable, "UNAVAILABLE", 502)]
    [InlineData(UpstreamFailure.Timeout, "UNAVAILABLE", 504)]
    [InlineData(UpstreamFailure.RateLimited, "TOOMANYREQUESTS", 429)]
    [InlineData(UpstreamFailure.ServerError, "UNAVAILABLE", 502)]
    [InlineData(UpstreamFailure.Invalid, "UNAVAILABLE", 502)]
    public async Task NotCached_UpstreamFails_ClearError(UpstreamFailure failure, string code, int status)
    {
        _m.Fake.Put(FakeUpstreamRegistry.Image("3.20"), tag: "3.20");
        _m.Fake.Down = new UpstreamException(failure, "the reason");

        var e = await Assert.ThrowsAsync<OciException>(() => _m.PullAsync("3.20"));
        Assert.Equal((code, status), (e.Error.Code, e.Error.HttpStatus));
        Assert.Contains("mirror/up/library/alpine:3.20 is not cached", e.Detail, StringComparison.Ordinal);
        Assert.Contains("upstream up (http://upstream.test:5000)", e.Detail, StringComparison.Ordinal);
        Assert.Contains("the reason", e.Detail, StringComparison.Ordinal);
        Assert.Empty(_m.Count.Errors); // counted by the upstream client (HttpUpstreamRegistry), once: the fake does not
        Assert.Equal("the reason", _m.Observer.Fetches.Single().Failure![^10..]);

        var byDigest = await Assert.ThrowsAsync<OciException>(() => _m.PullAsync(Digest.Sha256Of("nope"u8).ToString()));
        Assert.Equal(status, byDigest.Error.HttpStatus);
    }

    [Fact]
    public async Task NotCached_NotUpstream_ManifestUnknown_ForClients_NullForBollard()
    {
        var e = await Assert.ThrowsAsync<OciException>(() => _m.PullAsync("missing"));
        Assert.Equal(OciErrors.ManifestUnknown, e.Error);
        Assert.Contains("upstream up does not have library/alpine:missing", e.Detail, StringComparison.Ordinal);
        Assert.Null(await _m.Reader.GetAsync(MirrorTestbed.Repo, new Reference("missing", null), default));
    }

    [Fact]
    public async Task Vetting_DeniedTagRepositoryAndDigest_AreDenied_NothingFetchedOrStored()
    {
        var bad = Digest.Sha256Of(FakeUpstreamRegistry.Image("bad"));
        using var vetted = new MirrorTestbed(u => { u.DenyTags = ["*-rc"]; u.AllowRepositories = ["library/*"]; u.DenyDigests = [bad.ToString()]; });
        vetted.Fake.Put(FakeUpstreamRegistry.Image("bad"), tag: "bad");
        vetted.Fake.Put(FakeUpstreamRegistry.Image("rc"), tag: "3.21-rc");

        var tag = await Assert.ThrowsAsync<OciException>(() => vetted.PullAsync("3.21-rc"));
        Assert.Equal((OciErrors.Denied, 403), (tag.Error, tag.Error.HttpStatus));
        Assert.Contains("tag 3.21-rc is denied by the mirror's deny list (*-rc)", tag.Detail, StringComparison.Ordinal);

        var repo = await Assert.ThrowsAsync<OciException>(() => vetted.PullAsync("1", RepositoryName.Parse("mirror/up/bitnami/redis")));
        Assert.Equal(OciErrors.Denied, repo.Error);
        Assert.Contains("repository bitnami/redis is not on the mirror's allow list", repo.Detail, StringComparison.Ordinal);

        var byDigest = await Assert.ThrowsAsync<OciException>(() => vetted.PullAsync(bad.ToString()));
        Assert.Equal(OciErrors.Denied, byDigest.Error);
        Assert.Equal(0, vetted.Fake.Requests);

        // By tag, the digest is known only once fetched: refused then, and not stored.
        var byTag = await Assert.ThrowsAsync<OciException>(() => vetted.PullAsync("bad"));
        Assert.Equal(OciErrors.Denied, byTag.Error);
        Assert.Contains($"{bad} is denied", byTag.Detail, StringComparison.Ordinal);
        Assert.Null(await vetted.Stored.GetAsync(MirrorTestbed.Repo, new Reference(null, bad), default));
    }

    [Fact]
    public async Task ConcurrentMisses_ShareOneGet()
    {
        var digest = _m.Fake.Put(FakeUpstreamRegistry.Image("big"), tag: "big");
        _m.Fake.GetGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pulls = Enumerable.Range(0, 20).Select(_ => Task.Run(() => _m.PullAsync("big"))).ToList();
        var byDigest = Enumerable.Range(0, 5).Select(_ => Task.Run(() => _m.PullAsync(digest.ToString()))).ToList();
        await WaitUntilAsync(() => _m.Fake.Gets == 2);
        await Task.Delay(100);
        _m.Fake.GetGate.SetResult();

        foreach (var pull in pulls.Concat(byDigest)) Assert.Equal(digest, (await pull).Digest);
        // One GET for the tag, one for the digest (a different reference); no more.
        Assert.Equal(2, _m.Fake.Gets);
    }

    [Fact]
    public async Task ByDigest_Index_StoredWhole_ChildFetchedOnlyWhenAskedFor()
    {
        var amd64 = _m.Fake.Put(FakeUpstreamRegistry.Image("amd64"));
        var arm64 = _m.Fake.Put(FakeUpstreamRegistry.Image("arm64"));
        var index = _m.Fake.Put(FakeUpstreamRegistry.Index(amd64, arm64), MediaTypes.OciIndex, tag: "multi");

        var got = await _m.PullAsync("multi");
        Assert.Equal((index, MediaTypes.OciIndex), (got.Digest, got.MediaType));
        Assert.Equal(1, _m.Fake.Gets);
        Assert.Equal(amd64, (await _m.PullAsync(amd64.ToString())).Digest);
        Assert.Equal(2, _m.Fake.Gets);
        Assert.Null(await _m.Stored.GetAsync(MirrorTestbed.Repo, new Reference(null, arm64), default));
        // Cached now: served without the upstream.
        _m.Fake.Down = Refused();
        Assert.Equal(amd64, (await _m.PullAsync(amd64.ToString())).Digest);
        Assert.Null((await _m.PullAsync(amd64.ToString())).Freshness);
    }

    [Fact]
    public async Task FetchedBytes_AreByteExact()
    {
        // Whitespace and key order a re-serialization would lose.
        var body = "{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n  \"config\": {\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": \"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\", \"size\": 2},\n  \"layers\": []\n}\n"u8.ToArray();
        var digest = _m.Fake.Put(body, tag: "exact");
        var got = await _m.PullAsync("exact");
        Assert.Equal(digest, got.Digest);
        Assert.Equal(body, got.Content);
    }

    [Fact]
    public async Task NotMirrored_GoesStraightToTheStore()
    {
        var e = await Assert.ThrowsAsync<OciException>(() => _m.PullAsync("1", RepositoryName.Parse("team/app")));
        Assert.Equal(OciErrors.NameUnknown, e.Error);
        Assert.Null(await _m.Reader.GetAsync(RepositoryName.Parse("mirror/other/x"), new Reference("1", null), default));
        Assert.Equal(0, _m.Fake.Requests);
    }

    [Fact]
    public async Task Limiter_RefusesAClientsFetch_NotBollardsOwn_NorAHit()
    {
        var limiter = new CountingLimiter(allowed: 1);
        using var m = new MirrorTestbed(limiter: limiter);
        m.Fake.Put(FakeUpstreamRegistry.Image("a"), tag: "a");
        var b = m.Fake.Put(FakeUpstreamRegistry.Image("b"), tag: "b");

        await m.PullAsync("a");
        var e = await Assert.ThrowsAsync<OciException>(() => m.PullAsync("b"));
        Assert.Equal(OciErrors.TooManyRequests, e.Error);
        Assert.Contains("retry in 7 s", e.Detail, StringComparison.Ordinal);
        Assert.Equal(1, m.Fake.Gets);
        // A hit is never limited; Bollard's own read is not either.
        await m.PullAsync("a");
        Assert.Equal(b, (await m.Reader.GetAsync(MirrorTestbed.Repo, new Reference("b", null), default))!.Digest);
        Assert.Equal(2, limiter.Asked);
    }

    [Fact]
    public async Task Observer_ToldOfEveryFetch_WithTheActor()
    {
        _m.Fake.Put(FakeUpstreamRegistry.Image("a"), tag: "a");
        await _m.PullAsync("a");
        _m.Clock.Advance(TimeSpan.FromMinutes(6));
        await _m.PullAsync("a");
        _m.Fake.Down = Refused();
        _m.Clock.Advance(TimeSpan.FromMinutes(6));
        await _m.PullAsync("a");

        var fetches = _m.Observer.Fetches;
        Assert.Equal(["manifest", "revalidate", "revalidate"], fetches.Select(f => f.Kind));
        Assert.All(fetches, f => Assert.Equal(MirrorTestbed.Alice, f.Actor));
        Assert.Equal([null, null], fetches.Take(2).Select(f => f.Failure));
        Assert.StartsWith("upstream unreachable", fetches[2].Failure, StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }

    private sealed class CountingLimiter(int allowed) : IMirrorFetchLimiter
    {
        private int _asked;
        public int Asked => _asked;

        public TimeSpan? TryAcquire(RegistryActor actor) => Interlocked.Increment(ref _asked) <= allowed ? null : TimeSpan.FromSeconds(6.5);
    }
}
