using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Bollard.IntegrationTests.Scanning;

/// <summary>
/// The log4j question respects read access: <c>GET /api/v1/packages?purl=</c> answers each caller with the images of
/// the repositories it may pull, never the others. Two repositories holding the same package, two users each with
/// the reader role on one of them, the admin, and an anonymous caller.
/// </summary>
public sealed class PackageAccessTests : IAsyncLifetime
{
    private readonly string _work = TempDir.Create("bollard-package-access-");
    private AccessServer _access = null!;

    public async Task InitializeAsync() =>
        _access = await AccessServer.StartAsync(new Dictionary<string, string?> { ["Jobs:PollInterval"] = "00:00:00.100", ["Scanning:Enabled"] = "true" });

    public async Task DisposeAsync()
    {
        await _access.DisposeAsync();
        TempDir.Delete(_work);
    }

    [Fact]
    public async Task Packages_ShowsOnlyTheRepositoriesTheCallerMayPull()
    {
        string creds = $"{_access.Admin.User}:{_access.Admin.Secret}";
        string a = await ScanImages.PushDebianAsync(_work, _access.Server.HostPort, "team-a/app", "1", creds);
        string b = await ScanImages.PushDebianAsync(_work, _access.Server.HostPort, "team-b/app", "1", creds);
        foreach (var (repo, digest) in new[] { ("team-a/app", a), ("team-b/app", b) })
        {
            var state = await ScanImages.WaitForStateAsync(_access.AdminApi, repo, digest, s => s is "done" or "failed");
            Assert.True(state["state"]!.GetValue<string>() == "done", state.ToJsonString());
        }
        var alice = await _access.CreateUserWithRoleAsync(AccessServer.Unique("alice"), "reader", "team-a/**");
        var bob = await _access.CreateUserWithRoleAsync(AccessServer.Unique("bob"), "reader", "team-b/**");
        var carol = await _access.CreateUserWithRoleAsync(AccessServer.Unique("carol"), null, "");

        // Every bookworm root has base-files: by purl (no version) and by type + name.
        foreach (string query in new[] { "purl=pkg:deb/debian/base-files", "type=deb&name=base-files" })
        {
            Assert.Equal([("team-a/app", a), ("team-b/app", b)], await HitsAsync(_access.AdminApi, query));
            Assert.Equal([("team-a/app", a)], await HitsAsync(_access.Api(alice), query));
            Assert.Equal([("team-b/app", b)], await HitsAsync(_access.Api(bob), query));
            Assert.Empty(await HitsAsync(_access.Api(carol), query));
            Assert.Empty(await HitsAsync(_access.Raw(), query));
        }

        // Made public, team-b's images are everyone's to find.
        await _access.SetPublicAsync("team-b/**", true);
        Assert.Equal([("team-a/app", a), ("team-b/app", b)], await HitsAsync(_access.Api(alice), "purl=pkg:deb/debian/base-files"));
        Assert.Equal([("team-b/app", b)], await HitsAsync(_access.Raw(), "purl=pkg:deb/debian/base-files"));
    }

    [Fact]
    public async Task Packages_MoreThanTenThousandHiddenRowsBeforeAVisibleOne_TheVisibleOneIsFound()
    {
        string creds = $"{_access.Admin.User}:{_access.Admin.Secret}";
        string hidden = await ScanImages.PushDebianAsync(_work, _access.Server.HostPort, "secret/app", "1", creds);
        var state = await ScanImages.WaitForStateAsync(_access.AdminApi, "secret/app", hidden, s => s is "done" or "failed");
        Assert.True(state["state"]!.GetValue<string>() == "done", state.ToJsonString());
        // 10,001 more base-files rows of the hidden image in the package index (as 10,001 hidden images would add),
        // all before the visible image's rows: the answer used to be cut at 10,000 rows before the access filter.
        await using (var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_access.Server.DataDir, "bollard.db"), Pooling = false }.ToString()))
        {
            await db.OpenAsync();
            await using var command = db.CreateCommand();
            command.CommandText =
                """
                PRAGMA busy_timeout = 10000;
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10001)
                INSERT INTO scan_packages SELECT p.* FROM n, (SELECT * FROM scan_packages WHERE digest = $digest AND name = 'base-files' LIMIT 1) p;
                """;
            command.Parameters.AddWithValue("$digest", hidden);
            Assert.Equal(10_001, await command.ExecuteNonQueryAsync());
        }
        string visible = await ScanImages.PushDebianAsync(_work, _access.Server.HostPort, "team-a/app", "1", creds, null, ("/etc/visible", "team-a"));
        Assert.NotEqual(hidden, visible);
        state = await ScanImages.WaitForStateAsync(_access.AdminApi, "team-a/app", visible, s => s is "done" or "failed");
        Assert.True(state["state"]!.GetValue<string>() == "done", state.ToJsonString());
        var alice = await _access.CreateUserWithRoleAsync(AccessServer.Unique("alice"), "reader", "team-a/**");

        Assert.Equal([("team-a/app", visible)], await HitsAsync(_access.Api(alice), "purl=pkg:deb/debian/base-files"));
        Assert.Equal([("team-a/app", visible)], await HitsAsync(_access.Api(alice), "type=deb&name=base-files&limit=1"));
        Assert.Empty(await HitsAsync(_access.Raw(), "purl=pkg:deb/debian/base-files"));
        // The admin sees every row, cut at the limit and said so.
        using var response = await _access.AdminApi.GetAsync("/api/v1/packages?purl=pkg:deb/debian/base-files&limit=10");
        var body = await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "packages as admin");
        Assert.Equal(10, body["packages"]!.AsArray().Count);
        Assert.True(body["truncated"]!.GetValue<bool>());
    }

    private static async Task<List<(string Repository, string Digest)>> HitsAsync(HttpClient api, string query)
    {
        using var response = await api.GetAsync("/api/v1/packages?" + query);
        var body = await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "packages " + query);
        var hits = body["packages"]!.AsArray();
        Assert.All(hits, h => Assert.Equal("base-files", h!["name"]!.GetValue<string>()));
        return hits.Select(h => (h!["repository"]!.GetValue<string>(), h["digest"]!.GetValue<string>())).Distinct().Order().ToList();
    }
}
