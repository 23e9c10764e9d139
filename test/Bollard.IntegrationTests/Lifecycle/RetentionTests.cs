using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Lifecycle;

/// <summary>
/// Retention over the real server, on a clock the test moves: a dry run lists exactly what the real run then removes,
/// "keep the last N" by push and by pull time, kept patterns, immutable tags skipped, every removal audited, and
/// last-pull times batched in memory yet kept across a graceful restart.
/// </summary>
public sealed class RetentionTests
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static async Task<long> AddPolicyAsync(HttpClient api, object body)
    {
        using var response = await api.PostAsJsonAsync("/api/v1/retention", body);
        return (await AccessServer.ExpectAsync(response, HttpStatusCode.Created, "add retention policy"))["id"]!.GetValue<long>();
    }

    private static async Task<JsonNode> RunAsync(HttpClient api, bool dryRun)
    {
        using var response = await api.PostAsync($"/api/v1/retention/run?dryRun={(dryRun ? "true" : "false")}", null);
        return await AccessServer.ExpectAsync(response, HttpStatusCode.OK, $"retention run dryRun={dryRun}");
    }

    private static List<string> Items(JsonNode report, string list) =>
        report[list]!.AsArray().Select(i => $"{i!["repository"]!.GetValue<string>()}:{i["tag"]!.GetValue<string>()}").Order(StringComparer.Ordinal).ToList();

    private static async Task<List<string>> TagsAsync(HttpClient registry, string repo)
    {
        var body = await registry.GetFromJsonAsync<JsonObject>($"/v2/{repo}/tags/list");
        return body!["tags"]!.AsArray().Select(t => t!.GetValue<string>()).ToList();
    }

    private static async Task PullAsync(HttpClient registry, string repo, string tag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repo}/manifests/{tag}");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using var response = await registry.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task DryRunEqualsRealRun_KeepLastByPush_PatternsKept_ImmutableSkipped_Audited_Idempotent()
    {
        var clock = new ManualClock(Start);
        await using var access = await AccessServer.StartAsync(time: clock);
        var registry = access.Registry(access.Admin);
        const string repo = "apps/web";
        // Oldest first: latest (kept by pattern), release-1 (immutable), then t1..t6.
        foreach (string tag in new[] { "latest", "release-1", "t1", "t2", "t3", "t4", "t5", "t6" })
        {
            await AccessServer.PushImageAsync(registry, repo, tag);
            clock.Advance(TimeSpan.FromMinutes(1));
        }
        await AccessServer.PushImageAsync(registry, "other/web", "t1");
        await AccessServer.PushImageAsync(registry, "other/web", "t2");
        using (var rule = await access.AdminApi.PostAsJsonAsync("/api/v1/immutability", new { @namespace = "apps/**", tag = "release-*" }))
            await AccessServer.ExpectAsync(rule, HttpStatusCode.Created, "rule");
        long policy = await AddPolicyAsync(access.AdminApi, new { @namespace = "apps/**", keepLast = 2, order = "push", keepTags = new[] { "latest" } });

        var dry = await RunAsync(access.AdminApi, dryRun: true);
        Assert.True(dry["dryRun"]!.GetValue<bool>());
        Assert.Equal(["apps/web:t1", "apps/web:t2", "apps/web:t3", "apps/web:t4"], Items(dry, "removed"));
        Assert.Equal(["apps/web:release-1"], Items(dry, "skipped"));
        Assert.Contains("is immutable", dry["skipped"]![0]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(8, (await TagsAsync(registry, repo)).Count); // a dry run removes nothing

        var real = await RunAsync(access.AdminApi, dryRun: false);
        Assert.Equal(Items(dry, "removed"), Items(real, "removed"));
        Assert.Equal(Items(dry, "skipped"), Items(real, "skipped"));
        Assert.Equal(["latest", "release-1", "t5", "t6"], await TagsAsync(registry, repo));
        Assert.Equal(["t1", "t2"], await TagsAsync(registry, "other/web"));

        foreach (string tag in new[] { "t1", "t2", "t3", "t4" })
            await access.AssertAuditedAsync("admin", "retention.delete", "success", repo, e => e.Reference == tag && e.Detail!.Contains($"policy {policy}", StringComparison.Ordinal));
        await access.AssertAuditedAsync("admin", "retention.run", "success");

        var again = await RunAsync(access.AdminApi, dryRun: false);
        Assert.Empty(Items(again, "removed"));
        Assert.Equal(["apps/web:release-1"], Items(again, "skipped"));
    }

    [Fact]
    public async Task KeepLastByPull_KeepsTheMostRecentlyUsed_PullTimesVisibleOnTheTagList()
    {
        var clock = new ManualClock(Start);
        await using var access = await AccessServer.StartAsync(time: clock);
        var registry = access.Registry(access.Admin);
        const string repo = "pulled/app";
        foreach (string tag in new[] { "a", "b", "c" })
        {
            await AccessServer.PushImageAsync(registry, repo, tag);
            clock.Advance(TimeSpan.FromMinutes(1));
        }
        // a is the oldest push but the latest pull: by pull time b is the least recently used.
        await PullAsync(registry, repo, "a");
        var pulledAt = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromMinutes(1));

        var tags = (await access.AdminApi.GetFromJsonAsync<JsonObject>($"/api/v1/tags?repository={repo}"))!["tags"]!.AsArray();
        var a = tags.Single(t => t!["tag"]!.GetValue<string>() == "a")!;
        Assert.Equal(pulledAt, a["lastPulledAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(pulledAt, a["manifestLastPulledAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(Start, a["pushedAt"]!.GetValue<DateTimeOffset>());
        Assert.Null(tags.Single(t => t!["tag"]!.GetValue<string>() == "b")!["lastPulledAt"]);

        long byPull = await AddPolicyAsync(access.AdminApi, new { @namespace = "pulled/**", keepLast = 2, order = "pull" });
        Assert.Equal([$"{repo}:b"], Items(await RunAsync(access.AdminApi, dryRun: true), "removed"));
        // The same repository by push time would drop a instead: the order is what decides.
        using (var removed = await access.AdminApi.DeleteAsync($"/api/v1/retention/{byPull}"))
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        await AddPolicyAsync(access.AdminApi, new { @namespace = "pulled/**", keepLast = 2, order = "push" });
        Assert.Equal([$"{repo}:a"], Items(await RunAsync(access.AdminApi, dryRun: true), "removed"));
        await access.AssertAuditedAsync("admin", "retention.remove", "success", where: e => e.Reference == $"policy {byPull}");
    }

    [Fact]
    public async Task ScheduledRetentionJob_RemovesWhatThePolicySays_AsTheRetentionActor()
    {
        var clock = new ManualClock(Start);
        await using var access = await AccessServer.StartAsync(new Dictionary<string, string?>
        {
            ["Retention:Interval"] = "00:00:01", ["Jobs:PollInterval"] = "00:00:00.100",
        }, clock);
        var registry = access.Registry(access.Admin);
        foreach (string tag in new[] { "old", "new" })
        {
            await AccessServer.PushImageAsync(registry, "sched/app", tag);
            clock.Advance(TimeSpan.FromMinutes(1));
        }
        await AddPolicyAsync(access.AdminApi, new { @namespace = "sched/**", keepLast = 1 });
        // The schedule is on the server's clock: move it past each interval until the scheduler has enqueued a run
        // and the runner has done it.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await TagsAsync(registry, "sched/app")).Count > 1 && DateTime.UtcNow < deadline)
        {
            clock.Advance(TimeSpan.FromSeconds(2));
            await Task.Delay(100);
        }
        var events = await access.AssertAuditedAsync("retention", "retention.delete", "success", "sched/app");
        Assert.Equal("old", Assert.Single(events).Reference);
        Assert.Equal(["new"], await TagsAsync(registry, "sched/app"));
    }

    [Fact]
    public async Task UntaggedAfter_GcDeletesUntaggedManifestsOnlyOnceThatOld_AndOnlyWhereAPolicySaysSo()
    {
        var clock = new ManualClock(Start);
        await using var access = await AccessServer.StartAsync(Gc.GcApi.Settings(), clock);
        var registry = access.Registry(access.Admin);
        var governed = await AccessServer.PushImageAsync(registry, "ret/app", "v1");
        var ungoverned = await AccessServer.PushImageAsync(registry, "free/app", "v1");
        await AddPolicyAsync(access.AdminApi, new { @namespace = "ret/**", untaggedAfter = "1d" });
        foreach (string repo in new[] { "ret/app", "free/app" })
        {
            using var untag = await registry.DeleteAsync($"/v2/{repo}/manifests/v1");
            Assert.Equal(HttpStatusCode.Accepted, untag.StatusCode);
        }

        clock.Advance(TimeSpan.FromHours(1));
        var early = Gc.GcApi.Removed(await Gc.GcApi.RunAsync(access.AdminApi));
        Assert.DoesNotContain($"manifest ret/app {governed.Digest}", early);

        clock.Advance(TimeSpan.FromDays(2));
        var late = Gc.GcApi.Removed(await Gc.GcApi.RunAsync(access.AdminApi));
        Assert.Contains($"manifest ret/app {governed.Digest}", late);
        Assert.DoesNotContain($"manifest free/app {ungoverned.Digest}", late);
        using (var gone = await registry.GetAsync($"/v2/ret/app/manifests/{governed.Digest}"))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using (var kept = await registry.GetAsync($"/v2/free/app/manifests/{ungoverned.Digest}"))
            Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
    }

    [Fact]
    public async Task PullTimes_AreFlushedOnGracefulShutdown()
    {
        var clock = new ManualClock(Start);
        // A flush interval far beyond the test: only the shutdown flush can store the pull.
        await using var access = await AccessServer.StartAsync(new Dictionary<string, string?> { ["Retention:PullFlushInterval"] = "01:00:00" }, clock);
        var registry = access.Registry(access.Admin);
        await AccessServer.PushImageAsync(registry, "kept/app", "v1");
        clock.Advance(TimeSpan.FromMinutes(5));
        await PullAsync(registry, "kept/app", "v1");
        var pulledAt = clock.GetUtcNow();

        await access.Server.RestartAsync(access.Settings);
        using var api = new HttpClient { BaseAddress = access.Server.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", access.Admin.BasicHeader);
        var tags = (await api.GetFromJsonAsync<JsonObject>("/api/v1/tags?repository=kept/app"))!["tags"]!.AsArray();
        Assert.Equal(pulledAt, tags.Single()!["lastPulledAt"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task Policies_AdminsOnly_Validated_TagListNeedsPull()
    {
        await using var access = await AccessServer.StartAsync();
        var maintainer = await access.CreateUserWithRoleAsync(AccessServer.Unique("m"), "maintainer", "team/**");
        using (var refused = await access.Api(maintainer).PostAsJsonAsync("/api/v1/retention", new { @namespace = "team/**", keepLast = 1 }))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using (var refusedRun = await access.Api(maintainer).PostAsync("/api/v1/retention/run?dryRun=true", null))
            Assert.Equal(HttpStatusCode.Forbidden, refusedRun.StatusCode);
        foreach (var bad in new object[]
                 {
                     new { @namespace = "team/**" }, new { @namespace = "Team/**", keepLast = 1 }, new { @namespace = "team/**", keepLast = -1 },
                     new { @namespace = "team/**", keepLast = 1, order = "random" }, new { @namespace = "team/**", keepLast = 1, keepTags = new[] { "a/b" } },
                     new { @namespace = "team/**", untaggedAfter = "soon" },
                 })
        {
            using var response = await access.AdminApi.PostAsJsonAsync("/api/v1/retention", bad);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{bad}: {(int)response.StatusCode}");
        }
        long id = await AddPolicyAsync(access.AdminApi, new { @namespace = "team/**", keepLast = 3, keepTags = new[] { "latest", "v*" }, untaggedAfter = "30d" });
        using (var duplicate = await access.AdminApi.PostAsJsonAsync("/api/v1/retention", new { @namespace = "team/**", keepLast = 1 }))
            Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        var policy = Assert.Single((await access.AdminApi.GetFromJsonAsync<JsonArray>("/api/v1/retention"))!)!;
        Assert.Equal(id, policy["id"]!.GetValue<long>());
        Assert.Equal("30d", policy["untaggedAfter"]!.GetValue<string>());
        Assert.Equal("push", policy["order"]!.GetValue<string>());
        await access.AssertAuditedAsync("admin", "retention.add", "success", where: e => e.Reference == $"policy {id}");

        await AccessServer.PushImageAsync(access.Registry(maintainer), "team/app", "v1");
        var stranger = await access.CreateUserWithRoleAsync(AccessServer.Unique("s"), "reader", "elsewhere/**");
        using (var hidden = await access.Api(stranger).GetAsync("/api/v1/tags?repository=team/app"))
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        using (var visible = await access.Api(maintainer).GetAsync("/api/v1/tags?repository=team/app"))
            Assert.Equal("v1", (await AccessServer.ExpectAsync(visible, HttpStatusCode.OK, "tags"))["tags"]![0]!["tag"]!.GetValue<string>());
    }
}
