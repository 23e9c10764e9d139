using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.Core.Registry.Hooks;
using Bollard.Storage.Sqlite;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bollard.IntegrationTests.Hosting;

/// <summary>
/// Issue 6 (A6/B10): a storage failure raised in the middle of a unit of work, not only at its commit, is the
/// spec's 507/503 with the error body, and loses nothing; any other unexpected failure is a 500 <c>UNKNOWN</c> whose
/// body carries the request id the response header and the log line carry.
/// </summary>
public sealed class StorageFailureMidTransactionTests
{
    [Fact]
    public async Task MetadataDatabaseFull_DuringTheManifestInsert_Is507_WritesNothing_AndThePushWorksOnceThereIsRoom()
    {
        await using var server = await BollardServer.StartAsync();
        string repo = "full/app";
        string config = await server.Client.PushBlobAsync(repo, Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux"}"""));
        // A manifest whose row needs far more pages than the database may still grow by.
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = config, ["size"] = 37 },
            ["layers"] = new JsonArray(),
            ["annotations"] = new JsonObject { ["padding"] = new string('x', 2_000_000) },
        };
        byte[] body = Encoding.UTF8.GetBytes(manifest.ToJsonString());

        // The writer connection may not grow the file: SQLite answers SQLITE_FULL in the middle of the INSERT,
        // exactly as on a full disk.
        var db = server.Services.GetRequiredService<SqliteDatabase>();
        await SetMaxPageCountAsync(db, current: true);

        using (var refused = await server.Client.PutManifestAsync(repo, "v1", body, "application/vnd.oci.image.manifest.v1+json"))
        {
            string text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == (HttpStatusCode)507, $"{(int)refused.StatusCode}: {text}");
            var error = JsonNode.Parse(text)!["errors"]![0]!;
            Assert.Contains("insufficient storage", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(refused.Headers.GetValues("X-Request-Id").Single(), error["detail"]!["requestId"]!.GetValue<string>());
        }
        using (var missing = await server.Client.GetAsync($"/v2/{repo}/manifests/v1")) Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        await SetMaxPageCountAsync(db, current: false);
        using var accepted = await server.Client.PutManifestAsync(repo, "v1", body, "application/vnd.oci.image.manifest.v1+json");
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        using var pulled = await server.Client.GetAsync($"/v2/{repo}/manifests/v1");
        Assert.Equal(body, await pulled.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task UnexpectedException_Is500Unknown_WithTheRequestIdOfTheHeader()
    {
        await using var server = await BollardServer.StartAsync(services: s => s.Replace(ServiceDescriptor.Singleton<IPullGate, ThrowingPullGate>()));
        await server.Client.PushImageAsync("bug/app", "v1");
        using var response = await server.Client.GetAsync("/v2/bug/app/manifests/v1");
        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var error = JsonNode.Parse(text)!["errors"]![0]!;
        Assert.Equal("UNKNOWN", error["code"]!.GetValue<string>());
        Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), error["detail"]!["requestId"]!.GetValue<string>());
        Assert.DoesNotContain("a bug in a pull gate", text, StringComparison.Ordinal); // the exception's text stays in the log
        // The server is still serving.
        using var ping = await server.Client.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
    }

    private static Task SetMaxPageCountAsync(SqliteDatabase db, bool current) =>
        db.WriteAsync(async (c, tx) =>
        {
            long limit = current ? await c.ExecuteScalarAsync<long>("PRAGMA page_count", transaction: tx) + 1 : 1_073_741_823;
            return await c.ExecuteScalarAsync<long>($"PRAGMA max_page_count = {limit}", transaction: tx);
        }, default);

    private sealed class ThrowingPullGate : IPullGate
    {
        public ValueTask<PullDecision> DecideAsync(PullGateContext context, CancellationToken ct) =>
            throw new InvalidOperationException("a bug in a pull gate");
    }
}
