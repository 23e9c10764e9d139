using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.CrashSafety;

/// <summary>
/// Issue 6, A4: registry events are outbox rows written in the same transaction as each change, and delivered at
/// least once, in order, from each subscriber's persisted cursor. Against the real executable: an event committed
/// but not delivered when the process is SIGKILLed is delivered after the restart; a change that did not commit
/// never produces one; a graceful restart delivers nothing twice. The audit of pushes and deletes
/// (<c>AuditEventSubscriber</c>) is the observable subscriber (<c>GET /api/v1/audit</c>); the outbox and cursors have
/// no API, so they are read from the SQLite file, as <see cref="CrashVerifier"/> does.
/// </summary>
public sealed class EventDeliveryAfterKillTests(ITestOutputHelper output) : IDisposable
{
    private const string Admin = "admin";
    private const string AdminPassword = AccessServer.AdminPassword;
    private const string Repo = "events/app";
    private readonly string _data = TempDir.Create("bollard-evkill-");

    public void Dispose() => TempDir.Delete(_data);

    private static Dictionary<string, string> Settings(bool deliver) => new()
    {
        ["BOLLARD_ADMIN_PASSWORD"] = AdminPassword,
        ["BOLLARD__AUTH__PASSWORDITERATIONS"] = "1000",
        ["BOLLARD__EVENTS__DELIVER"] = deliver ? "true" : "false",
    };

    [Fact]
    public async Task SigkillBetweenCommitAndDelivery_EventsAreDeliveredAfterRestart_InOrder()
    {
        AccessImage image;
        await using (var server = await BollardProcess.StartAsync(_data, Settings(deliver: false)))
        {
            using var registry = RegistryClient(server);
            using var api = ManagementClient(server);
            image = await AccessServer.PushImageAsync(registry, Repo, "v1"); // asserts 201 for each blob and the manifest
            using (var put = await registry.PutManifestAsync(Repo, "old", image.Manifest, "application/vnd.oci.image.manifest.v1+json"))
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            using (var delete = await registry.DeleteAsync($"/v2/{Repo}/manifests/old"))
                Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

            // Acknowledged, so committed: the tag is gone and v1 is served.
            using (var gone = await registry.GetAsync($"/v2/{Repo}/manifests/old")) Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            using (var v1 = await registry.GetAsync($"/v2/{Repo}/manifests/v1")) Assert.Equal(HttpStatusCode.OK, v1.StatusCode);

            // Recorded in the outbox with the changes, not delivered: no audit cursor, no push or delete in the audit log.
            var outbox = Outbox();
            (string Kind, string? Tag)[] recorded =
            [
                ("RepositoryCreated", null), ("BlobLinked", null), ("BlobLinked", null),
                ("ManifestPushed", "v1"), ("TagCreated", "v1"), ("ManifestPushed", "old"), ("TagCreated", "old"), ("TagDeleted", "old"),
            ];
            Assert.Equal(recorded, outbox.Select(e => (e.Kind, e.Tag)));
            Assert.Null(Cursor("audit"));
            Assert.Empty(await ChangesAsync(api));
            // Other auditing works meanwhile: the admin's token requests are in the log (written on the request path).
            Assert.Contains(await AccessServer.QueryAuditAsync(api, principal: Admin, action: "token.issue"), e => e.Outcome == "success");

            server.Kill();
        }

        await using (var server = await BollardProcess.StartAsync(_data, Settings(deliver: true)))
        {
            using var api = ManagementClient(server);
            (string Action, string? Reference)[] expected = [("push", $"v1@{image.Digest}"), ("push", $"old@{image.Digest}"), ("delete", "old")];
            var changes = await EventuallyAsync(() => ChangesAsync(api), c => c.Count >= expected.Length, server, "the audit of the push and the delete");
            Assert.Equal(expected, changes.Select(e => (e.Action, e.Reference)));
            Assert.All(changes, e =>
            {
                Assert.Equal(Admin, e.Principal);
                Assert.Equal(Repo, e.Repository);
                Assert.Equal("success", e.Outcome);
                Assert.Equal(1, e.Count);
            });
            // The subscriber acknowledged the whole outbox, once.
            long head = Outbox()[^1].Seq;
            await EventuallyAsync(() => Task.FromResult(Cursor("audit")), c => c == head, server, "the audit cursor at the head of the outbox");
            Assert.Equal(expected, (await ChangesAsync(api)).Select(e => (e.Action, e.Reference)));
            output.WriteLine($"outbox head {head}, audit cursor {Cursor("audit")}");
        }
    }

    [Fact]
    public async Task RefusedChanges_ProduceNoEvent_NothingIsDeliveredForThem()
    {
        await using var server = await BollardProcess.StartAsync(_data, Settings(deliver: true));
        using var registry = RegistryClient(server);
        using var api = ManagementClient(server);
        var image = await AccessServer.PushImageAsync(registry, Repo, "v1");
        await EventuallyAsync(() => ChangesAsync(api), c => c.Count >= 1, server, "the audit of the first push");

        // A manifest whose layer was never pushed: MANIFEST_BLOB_UNKNOWN, nothing is written.
        var node = JsonNode.Parse(image.Manifest)!;
        node["layers"]![0]!["digest"] = RegistryTestClient.Sha256(Encoding.UTF8.GetBytes("never pushed " + Guid.NewGuid()));
        using (var refused = await registry.PutManifestAsync(Repo, "broken", Encoding.UTF8.GetBytes(node.ToJsonString()), "application/vnd.oci.image.manifest.v1+json"))
            await refused.AssertErrorAsync(HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        // Deleting a blob a manifest uses: DENIED, the blob stays linked.
        using (var denied = await registry.DeleteAsync($"/v2/{Repo}/blobs/{image.Layer}"))
            Assert.Equal("DENIED", await denied.ErrorCodeAsync());
        using (var still = await registry.GetAsync($"/v2/{Repo}/blobs/{image.Layer}")) Assert.Equal(HttpStatusCode.OK, still.StatusCode);

        // A later change that commits: once it is audited, delivery has passed everything before it.
        using (var put = await registry.PutManifestAsync(Repo, "after", image.Manifest, "application/vnd.oci.image.manifest.v1+json"))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var changes = await EventuallyAsync(() => ChangesAsync(api), c => c.Any(e => e.Reference == $"after@{image.Digest}"), server, "the audit of the later push");

        (string Action, string? Reference)[] audited = [("push", $"v1@{image.Digest}"), ("push", $"after@{image.Digest}")];
        Assert.Equal(audited, changes.Select(e => (e.Action, e.Reference)));
        var outbox = Outbox();
        Assert.DoesNotContain(outbox, e => e.Tag == "broken" || e.Kind == "BlobDeleted");
        Assert.Equal(["v1", "after"], outbox.Where(e => e.Kind == "ManifestPushed").Select(e => e.Tag));
    }

    [Fact]
    public async Task GracefulRestart_DeliveredEventsAreNotDeliveredAgain()
    {
        AccessImage image;
        await using (var server = await BollardProcess.StartAsync(_data, Settings(deliver: true)))
        {
            using var registry = RegistryClient(server);
            using var api = ManagementClient(server);
            image = await AccessServer.PushImageAsync(registry, Repo, "v1");
            using (var delete = await registry.DeleteAsync($"/v2/{Repo}/manifests/v1"))
                Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
            await EventuallyAsync(() => ChangesAsync(api), c => c.Count >= 2, server, "the audit of the push and the tag delete");
            // Stopped as a service manager stops it, right after the delivery.
            Assert.Equal(0, await server.StopAsync());
        }
        Assert.Equal(Outbox()[^1].Seq, Cursor("audit"));

        await using (var server = await BollardProcess.StartAsync(_data, Settings(deliver: true)))
        {
            using var registry = RegistryClient(server);
            using var api = ManagementClient(server);
            using (var put = await registry.PutManifestAsync(Repo, "v2", image.Manifest, "application/vnd.oci.image.manifest.v1+json"))
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            var changes = await EventuallyAsync(() => ChangesAsync(api), c => c.Any(e => e.Reference == $"v2@{image.Digest}"), server, "the audit of the push after the restart");
            (string Action, string? Reference)[] audited = [("push", $"v1@{image.Digest}"), ("delete", "v1"), ("push", $"v2@{image.Digest}")];
            Assert.Equal(audited, changes.Select(e => (e.Action, e.Reference)));
        }
    }

    /// <summary>A registry client doing the token dance as the admin.</summary>
    private static HttpClient RegistryClient(BollardProcess server) =>
        new(new AccessTokenDanceHandler(new AccessCreds(Admin, AdminPassword)) { InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false } })
        {
            BaseAddress = server.BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };

    private static HttpClient ManagementClient(BollardProcess server)
    {
        var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new("Basic", new AccessCreds(Admin, AdminPassword).BasicHeader);
        return client;
    }

    /// <summary>The audit records the event subscriber writes (push, delete) for <see cref="Repo"/>, oldest first.</summary>
    private static async Task<List<AccessAuditEvent>> ChangesAsync(HttpClient api) =>
        (await AccessServer.QueryAuditAsync(api, repository: Repo))
            .Where(e => e.Action is "push" or "delete").OrderBy(e => e.Id).ToList();

    /// <summary>Bounded polling: <paramref name="read"/> until <paramref name="done"/>, at most 30 s (no timing is asserted).</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, BollardProcess server, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var value = await read();
        while (!done(value))
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"waited 30 s for {what}; last seen: {Describe(value)}\n--- server output (tail) ---\n{server.RecentOutput()}");
            await Task.Delay(50);
            value = await read();
        }
        return value;
    }

    private static string Describe<T>(T value) => value is IEnumerable<AccessAuditEvent> events
        ? string.Join("; ", events.Select(e => $"{e.Action} {e.Reference}"))
        : value?.ToString() ?? "null";

    private sealed record OutboxRow(long Seq, string Kind, string? Tag);

    private List<OutboxRow> Outbox() => Query("SELECT seq, kind, tag FROM registry_events ORDER BY seq",
        r => new OutboxRow(r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2)));

    private long? Cursor(string subscriber) =>
        Query("SELECT position FROM event_cursors WHERE subscriber = $s", r => (long?)r.GetInt64(0), ("$s", subscriber)).SingleOrDefault();

    /// <summary>Reads the database directly (WAL lets a reader in while the server runs).</summary>
    private List<T> Query<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object Value)[] parameters)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(_data, "bollard.db"),
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(map(reader));
        return rows;
    }
}
