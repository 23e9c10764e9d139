using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Bollard.IntegrationTests.Hosting;

/// <summary>
/// Issue 6, B1: another process holding the database's write lock made one audit batch fail, and that stopped
/// the whole registry (with exit code 0). Now the batch is kept and retried, <c>/readyz</c> says what is failing,
/// the registry keeps answering, and once the lock is gone the events are stored.
/// </summary>
public sealed class BackgroundFailureTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string AdminPassword = "admin-password-123";

    private static AuthenticationHeaderValue Basic(string user, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{secret}")));

    private static async Task<(HttpStatusCode Status, string Body)> ReadyAsync(BollardServer server)
    {
        using var response = await server.Client.GetAsync("/readyz");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task DatabaseLockedByAnotherProcess_AuditIsRetried_ReadyzSaysSo_HostKeepsRunning_NothingLost()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:Enabled"] = "true",
            ["Auth:AdminPassword"] = AdminPassword,
        }, output: output);
        Assert.Equal(HttpStatusCode.OK, (await ReadyAsync(server)).Status);

        // Another process (a backup script, sqlite3 in a shell) takes the write lock and keeps it.
        await using (var other = new SqliteConnection($"Data Source={Path.Combine(server.DataDir, "bollard.db")};Pooling=False"))
        {
            await other.OpenAsync();
            await using (var begin = other.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE";
                await begin.ExecuteNonQueryAsync();
            }

            // Three failed logins: audit events that cannot be stored while the lock is held.
            for (int i = 0; i < 3; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
                request.Headers.Authorization = Basic($"locked-{i}", "wrong-password-xyz");
                using var response = await server.Client.SendAsync(request);
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            }

            // The writer gives up on one attempt after SQLite's busy timeout; /readyz then names it (the host is not stopped).
            var notReady = (Status: HttpStatusCode.OK, Body: "");
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (DateTime.UtcNow < deadline)
            {
                notReady = await ReadyAsync(server);
                // Other background parts that write (the job runner once a job kind is registered) may fail first:
                // wait until the audit writer is among the failing ones.
                if (notReady.Status == HttpStatusCode.ServiceUnavailable && notReady.Body.Contains("audit-writer", StringComparison.Ordinal)) break;
                await Task.Delay(250);
            }
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.Status);
            Assert.Contains("audit-writer", notReady.Body);
            Assert.Contains("locked", notReady.Body, StringComparison.OrdinalIgnoreCase);
            using (var alive = await server.Client.GetAsync("/healthz"))
                Assert.Equal(HttpStatusCode.OK, alive.StatusCode);

            await using var rollback = other.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }

        // The retry stores the kept batch; the node is ready again.
        var ready = (Status: HttpStatusCode.ServiceUnavailable, Body: "");
        var until = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < until)
        {
            ready = await ReadyAsync(server);
            if (ready.Status == HttpStatusCode.OK) break;
            await Task.Delay(250);
        }
        Assert.True(ready.Status == HttpStatusCode.OK, ready.Body);
        Assert.Contains("Audit events could not be stored (attempt 1)", server.RecentLog());
        Assert.Contains("Audit events are stored again", server.RecentLog());

        using var audit = new HttpRequestMessage(HttpMethod.Get, "/api/v1/audit?action=login&outcome=failure&limit=50");
        audit.Headers.Authorization = Basic("admin", AdminPassword);
        using var answer = await server.Client.SendAsync(audit);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var principals = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["events"]!.AsArray()
            .Select(e => e!["principal"]!.GetValue<string>()).ToList();
        foreach (string user in new[] { "locked-0", "locked-1", "locked-2" }) Assert.Contains(user, principals);
    }
}
