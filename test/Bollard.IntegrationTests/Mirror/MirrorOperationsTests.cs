using System.Text.RegularExpressions;
using System.Net;
using System.Text.Json;
using Bollard.IntegrationTests.Cli;
using Bollard.IntegrationTests.Metrics;

namespace Bollard.IntegrationTests.Mirror;

/// <summary>
/// The operations side of the mirror (issue 10) end to end, against a real upstream behind a counting proxy: the real
/// <c>bollard mirror</c> CLI (sync with progress, status, tags, forget), the cache served stale with its headers when
/// the upstream rate-limits or times out after the TTL, and the <c>bollard_mirror_*</c> metrics.
/// </summary>
[Collection(MirrorOperationsGroup.Name)]
public sealed class MirrorOperationsTests : IAsyncLifetime
{
    private MirrorOpsHarness _h = null!;

    public async Task InitializeAsync() => _h = await MirrorOpsHarness.StartAsync(new Dictionary<string, string?>
    {
        ["Mirror:Upstreams:0:DenyRepositories:0"] = "denied/**",
    }, accessControl: true);

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private static Task<CliResult> CliAsync(CliRunner cli, params string[] args) => cli.RunAsync(args);

    /// <summary>The CLI logged in as the admin (access control is on: syncs and forgets take the maintainer right).</summary>
    private async Task<CliRunner> AdminCliAsync()
    {
        var cli = new CliRunner();
        await cli.LoginAsync(_h.Server);
        return cli;
    }

    [Fact]
    public async Task Cli_sync_warms_the_cache_then_status_tags_and_forget_show_and_remove_it()
    {
        string repo = MirrorOpsHarness.Unique("library/synced");
        var (_, digest) = await _h.Upstream.Client.PushImageAsync(repo, "1.0", layers: 3, layerSize: 64 * 1024);
        using var cli = await AdminCliAsync();

        var sync = await CliAsync(cli, "mirror", "sync", $"local/{repo}:1.0");
        CliRunner.Succeeded(sync);
        // Progress on standard error (a line per change when it is not a terminal), the summary on standard output.
        Assert.Contains($"Started sync ", sync.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"\[[#.]{30}\]\s+\d+% (manifests|blobs|done):", sync.Stderr);
        Assert.Matches($@"(?m)^Sync \d+ of local/{repo}:1\.0: Succeeded, platforms all", sync.Stdout);
        Assert.Matches(@"\[#{30}\] 100% done: 1/1 manifests, 4/4 blobs", sync.Stdout);
        Assert.Contains($"Digest: {digest}", sync.Stdout, StringComparison.Ordinal);

        // Warm: a pull of the tag and every blob asks the upstream nothing.
        _h.Proxy.Reset();
        var (pulled, _, _) = await _h.PullAsync(repo, "1.0");
        Assert.Equal(digest, pulled);
        Assert.Empty(_h.Proxy.Requests);

        var status = await CliAsync(cli, "mirror", "status");
        CliRunner.Succeeded(status);
        Assert.True(Regex.IsMatch(status.Stdout, @"(?m)^UPSTREAM\s+URL\s+(CREDENTIALS\s+)?TAG TTL\s+TAGS\s+STALE\s+HITS"), status.Stdout);
        Assert.True(Regex.IsMatch(status.Stdout, $@"(?m)^local\s+{_h.Proxy.Url}\s+(none\s+|-\s+)?00:05:00\s+\d+\s+0\s+"), status.Stdout);
        Assert.Matches($@"(?m)^\d+\s+Succeeded\s+local/{repo}:1\.0\s+all\s+", status.Stdout);

        var tags = await CliAsync(cli, "mirror", "tags", "--repository", $"local/{repo}");
        CliRunner.Succeeded(tags);
        Assert.True(Regex.IsMatch(tags.Stdout, $@"(?m)^local/{repo}:1\.0\s+{digest}\s+\S+ \S+\s+no\s+-\s*$"), tags.Stdout);

        // After the TTL with the upstream down, the tag is served stale and the CLI says so, with why.
        await _h.Proxy.StopAsync();
        _h.Clock.Advance(TimeSpan.FromMinutes(6));
        using (var stale = await _h.GetManifestAsync(repo, "1.0")) Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        var staleTags = await CliAsync(cli, "mirror", "tags", "--stale");
        CliRunner.Succeeded(staleTags);
        Assert.True(Regex.IsMatch(staleTags.Stdout, $@"(?m)^local/{repo}:1\.0\s+{digest}\s+\S+ \S+\s+yes\s+upstream unreachable"), staleTags.Stdout);
        var staleStatus = await CliAsync(cli, "mirror", "status", "--json");
        CliRunner.Succeeded(staleStatus);
        var upstream = JsonDocument.Parse(staleStatus.Stdout).RootElement.GetProperty("upstreams")[0];
        Assert.True(upstream.GetProperty("staleTags").GetInt32() >= 1, staleStatus.Stdout);
        Assert.True(upstream.GetProperty("counters").GetProperty("errors").GetProperty("unreachable").GetInt64() >= 1, staleStatus.Stdout);
        // A sync that cannot reach the upstream fails as a job, with its reason, and the node stays ready: it keeps serving
        // its cache, so a load balancer must not take it out for an upstream's outage (JobRunner keeps job failures out
        // of BackgroundHealth).
        var downSync = await CliAsync(cli, "mirror", "sync", $"local/{repo}:2.0", "--no-wait", "--json");
        CliRunner.Succeeded(downSync);
        long syncId = JsonDocument.Parse(downSync.Stdout).RootElement.GetProperty("id").GetInt64();
        string? lastError = null;
        for (var until = DateTime.UtcNow.AddSeconds(60); lastError is null && DateTime.UtcNow < until; await Task.Delay(200))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/mirror/sync");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"admin:{CliRunner.AdminPassword}")));
            using var answer = await _h.Server.Client.SendAsync(request);
            answer.EnsureSuccessStatusCode();
            using var list = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
            var job = list.RootElement.GetProperty("syncs").EnumerateArray().First(j => j.GetProperty("id").GetInt64() == syncId);
            lastError = job.GetProperty("lastError").GetString();
        }
        Assert.NotNull(lastError);
        using (var ready = await _h.Server.Client.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("ready", await ready.Content.ReadAsStringAsync());
        }
        await _h.Proxy.StartAsync();

        var forget = await CliAsync(cli, "mirror", "forget", $"local/{repo}:1.0");
        CliRunner.Succeeded(forget);
        Assert.Contains($"Forgot local/{repo}:1.0", forget.Stdout + forget.Stderr, StringComparison.Ordinal);
        var after = await CliAsync(cli, "mirror", "tags", "--repository", $"local/{repo}");
        CliRunner.Succeeded(after);
        Assert.DoesNotContain($"local/{repo}:1.0", after.Stdout, StringComparison.Ordinal);
        // Forgotten: the next pull of the tag asks the upstream again.
        _h.Proxy.Reset();
        using (var again = await _h.GetManifestAsync(repo, "1.0")) Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, _h.Proxy.Count($"/v2/{repo}/manifests/1.0", "GET"));
    }

    [Fact]
    public async Task Cli_sync_of_a_denied_or_missing_image_fails_clearly_with_a_nonzero_exit()
    {
        using var cli = await AdminCliAsync();
        var denied = await CliAsync(cli, "mirror", "sync", "local/denied/app:1");
        Assert.NotEqual(0, denied.ExitCode);
        Assert.StartsWith("bollard: ", denied.Stderr, StringComparison.Ordinal);
        Assert.Contains("denied/app", denied.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", denied.Stderr, StringComparison.Ordinal);

        var unknownUpstream = await CliAsync(cli, "mirror", "sync", "nowhere.io/library/app:1");
        Assert.NotEqual(0, unknownUpstream.ExitCode);
        Assert.Contains("no upstream named 'nowhere.io'", unknownUpstream.Stderr, StringComparison.Ordinal);

        string repo = MirrorOpsHarness.Unique("library/absent");
        var missing = await CliAsync(cli, "mirror", "sync", $"local/{repo}:nope");
        Assert.NotEqual(0, missing.ExitCode);
        // Failed at the first attempt (retrying cannot make the upstream have it), with a sentence, not an exception's name.
        Assert.Matches($@"(?m)^Sync \d+ of local/{repo}:nope: Failed, platforms all, requested by admin, attempt 1$", missing.Stdout);
        Assert.Contains($"Last error: local/{repo}:nope: the upstream has no such manifest", missing.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", missing.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", missing.Stdout + missing.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rate-limited")]
    [InlineData("timeout")]
    public async Task After_the_TTL_an_upstream_that_rate_limits_or_times_out_gets_the_cache_served_stale_and_visible(string failure)
    {
        string repo = MirrorOpsHarness.Unique("library/flaky");
        var (manifest, digest) = await _h.Upstream.Client.PushImageAsync(repo, "3", layers: 1);
        using (var warm = await _h.GetManifestAsync(repo, "3")) Assert.Equal(HttpStatusCode.OK, warm.StatusCode);

        _h.Clock.Advance(TimeSpan.FromMinutes(6));
        _h.Proxy.Reset();
        if (failure == "rate-limited")
        {
            _h.Proxy.FailWith = HttpStatusCode.TooManyRequests;
            _h.Proxy.RetryAfter = 120;
        }
        else
        {
            _h.Proxy.HangFor = TimeSpan.FromSeconds(8); // beyond the upstream's Timeout (2 s)
        }
        try
        {
            using var stale = await _h.GetManifestAsync(repo, "3");
            Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
            Assert.Equal(manifest, await stale.Content.ReadAsByteArrayAsync());
            Assert.Equal(digest, MirrorOpsHarness.Header(stale, "Docker-Content-Digest"));
            Assert.Equal("110 - \"Response is Stale\"", MirrorOpsHarness.Header(stale, "Warning"));
            string mirror = MirrorOpsHarness.Header(stale, "Bollard-Mirror");
            Assert.StartsWith("upstream=local; checked=", mirror, StringComparison.Ordinal);
            Assert.Contains("state=stale", mirror, StringComparison.Ordinal);
            string why = failure == "rate-limited" ? "rate-limited (429)" : "upstream timed out";
            Assert.Contains($"reason=\"{why}", mirror, StringComparison.Ordinal);
            Assert.True(_h.Proxy.Count($"/v2/{repo}/manifests/3") >= 1, "the revalidation asked the upstream");

            var tag = Assert.Single(await _h.TagsAsync(repo));
            Assert.True(tag.GetProperty("stale").GetBoolean());
            Assert.StartsWith(why, tag.GetProperty("lastError").GetString(), StringComparison.Ordinal);
            Assert.Equal(digest, tag.GetProperty("digest").GetString());
            Assert.False(tag.GetProperty("removedUpstream").GetBoolean());

            // Within the TTL from the failure the cache is served stale again without asking (the upstream is not hammered).
            int asked = _h.Proxy.Requests.Count;
            using var again = await _h.GetManifestAsync(repo, "3");
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Contains("state=stale", MirrorOpsHarness.Header(again, "Bollard-Mirror"), StringComparison.Ordinal);
            Assert.Equal(asked, _h.Proxy.Requests.Count);
        }
        finally
        {
            _h.Proxy.Reset();
        }

        // The upstream is back: after the TTL the tag is fresh again.
        _h.Clock.Advance(TimeSpan.FromMinutes(6));
        using var fresh = await _h.GetManifestAsync(repo, "3");
        Assert.EndsWith("state=fresh", MirrorOpsHarness.Header(fresh, "Bollard-Mirror"), StringComparison.Ordinal);
        Assert.False(Assert.Single(await _h.TagsAsync(repo)).GetProperty("stale").GetBoolean());
    }

    [Fact]
    public async Task Metrics_count_a_miss_a_hit_a_revalidation_an_upstream_error_and_the_bytes()
    {
        string repo = MirrorOpsHarness.Unique("library/metered");
        await _h.Upstream.Client.PushImageAsync(repo, "1", layers: 2, layerSize: 10_000);
        string before = await _h.MetricsAsync();

        var (_, _, blobBytes) = await _h.PullAsync(repo, "1"); // miss: one manifest, three blobs
        Assert.True(blobBytes > 20_000);
        // A blob fetch is accounted when its background transfer ends, which may be just after the client read the last byte.
        string afterMiss = await ScrapeUntilAsync(t => Delta(before, t, "bollard_mirror_fetched_bytes_total") > blobBytes);
        Assert.Equal(1, Delta(before, afterMiss, "bollard_mirror_misses_total", "manifest"));
        Assert.Equal(3, Delta(before, afterMiss, "bollard_mirror_misses_total", "blob"));
        Assert.True(Delta(before, afterMiss, "bollard_mirror_fetched_bytes_total") > blobBytes, "manifest and blob bytes fetched");

        string beforeHit = await _h.MetricsAsync();
        await _h.PullAsync(repo, "1"); // hit: nothing asked upstream
        string afterHit = await _h.MetricsAsync();
        Assert.Equal(1, Delta(beforeHit, afterHit, "bollard_mirror_hits_total", "manifest"));
        Assert.Equal(3, Delta(beforeHit, afterHit, "bollard_mirror_hits_total", "blob"));
        Assert.Equal(blobBytes, Delta(beforeHit, afterHit, "bollard_mirror_saved_bytes_total"));
        Assert.Equal(0, Delta(beforeHit, afterHit, "bollard_mirror_misses_total", "manifest"));
        Assert.Equal(0, Delta(beforeHit, afterHit, "bollard_mirror_fetched_bytes_total"));

        _h.Clock.Advance(TimeSpan.FromMinutes(6));
        using (var revalidated = await _h.GetManifestAsync(repo, "1")) Assert.Equal(HttpStatusCode.OK, revalidated.StatusCode);
        string afterRevalidation = await _h.MetricsAsync();
        Assert.Equal(1, Delta(afterHit, afterRevalidation, "bollard_mirror_revalidations_total"));

        _h.Clock.Advance(TimeSpan.FromMinutes(6));
        _h.Proxy.Reset();
        _h.Proxy.FailWith = HttpStatusCode.TooManyRequests;
        IReadOnlyList<(string Method, string Path)> requests = [];
        try
        {
            using (var limited = await _h.GetManifestAsync(repo, "1")) Assert.Equal(HttpStatusCode.OK, limited.StatusCode);
            _h.Proxy.FailWith = HttpStatusCode.ServiceUnavailable;
            using (var down = await _h.GetManifestAsync(repo, "not-cached")) Assert.Equal(HttpStatusCode.BadGateway, down.StatusCode);
        }
        finally
        {
            requests = _h.Proxy.Requests;
            _h.Proxy.Reset();
        }
        string afterErrors = await _h.MetricsAsync();
        string asked = string.Join("\n", requests.Select(r => $"{r.Method} {r.Path}"));
        Assert.Equal(1, Delta(afterRevalidation, afterErrors, "bollard_mirror_revalidations_total"));
        Assert.Equal(1, Delta(afterRevalidation, afterErrors, "bollard_mirror_stale_served_total"));
        Assert.True(Delta(afterRevalidation, afterErrors, "bollard_mirror_upstream_errors_total", "rate_limited") == 1, asked);
        Assert.Equal(1, Delta(afterRevalidation, afterErrors, "bollard_mirror_upstream_errors_total", "server_error"));

        // promtool is in the test command's apt list (as for Metrics/PrometheusScrapeTests).
        ExternalTool.Require("promtool");
        string file = Path.Combine(_h.Server.DataDir, "mirror-metrics.txt");
        await File.WriteAllTextAsync(file, afterErrors);
        var check = await ExternalTool.RunAsync("sh", ["-c", $"promtool check metrics < '{file}'"]);
        Assert.True(check.ExitCode == 0 && check.Stdout.Trim().Length == 0 && check.Stderr.Trim().Length == 0, check.Describe());
    }

    private async Task<string> ScrapeUntilAsync(Func<string, bool> done)
    {
        string text = await _h.MetricsAsync();
        for (int i = 0; i < 200 && !done(text); i++)
        {
            await Task.Delay(50);
            text = await _h.MetricsAsync();
        }
        return text;
    }

    /// <summary>How much one <c>upstream="local"</c> series grew between two scrapes (a series not yet exported counts as 0).</summary>
    private static double Delta(string before, string after, string name, string? kind = null)
    {
        string series = kind is null ? $"{name}{{upstream=\"local\"}}" : $"{name}{{upstream=\"local\",kind=\"{kind}\"}}";
        return Sample(after, series) - Sample(before, series);
    }

    private static double Sample(string text, string series) =>
        text.Split('\n').Any(l => l.StartsWith(series + " ", StringComparison.Ordinal)) ? MetricsText.Value(text, series, "bollard_mirror") : 0;
}
