using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Webhooks;

/// <summary>
/// Issue 7: webhook deliveries are at least once and in order per webhook across a receiver outage and a crash of Bollard
/// (SIGKILL of the real executable, <see cref="BollardProcess"/>): the receiver sees every event, in order, each id once
/// (a repeat only of the request in flight at the kill, with the same id and body), every request signed.
/// </summary>
public sealed class WebhookRestartTests(ITestOutputHelper output) : IDisposable
{
    private const string Repo = "crash/app";
    private readonly string _data = TempDir.Create("bollard-hookkill-");

    public void Dispose() => TempDir.Delete(_data);

    [Fact]
    public async Task ReceiverOutageAndSigkill_EveryEventArrivesInOrder_DuplicatesOnlyWithTheSameId()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var environment = WebhookSupport.AsEnvironment(WebhookSupport.FastLoopback());
        environment["BOLLARD_ADMIN_PASSWORD"] = AccessServer.AdminPassword;
        environment["BOLLARD__AUTH__PASSWORDITERATIONS"] = "1000";
        long id;
        var expected = new List<(string Type, string Subject)>();

        await using (var server = await BollardProcess.StartAsync(_data, environment))
        {
            using var api = Api(server);
            using var registry = Registry(server);
            (id, receiver.Secret) = await WebhookSupport.CreateAsync(api, receiver.Url, "crash/**");
            await AccessServer.PushImageAsync(registry, Repo, "v1");
            expected.Add(("dev.bollard.manifest.pushed", $"{Repo}:v1"));
            await WebhookSupport.EventuallyAsync(() => Task.FromResult(receiver.Accepted.Count), n => n >= 1, "the first event", server.RecentOutput);

            // The receiver goes down; the events queue up behind the first one that fails.
            await receiver.StopAsync();
            foreach (string tag in new[] { "v2", "v3" })
            {
                await AccessServer.PushImageAsync(registry, Repo, tag);
                expected.Add(("dev.bollard.manifest.pushed", $"{Repo}:{tag}"));
            }
            using (var delete = await registry.DeleteAsync($"/v2/{Repo}/manifests/v2")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
            expected.Add(("dev.bollard.tag.deleted", $"{Repo}:v2"));
            await WebhookSupport.EventuallyAsync(() => WebhookSupport.DeliveriesAsync(api, id),
                l => WebhookSupport.Attempts(l).Count(a => a!["outcome"]!.GetValue<string>() == "failed") >= 2
                     && l["deliveries"]!.AsArray().Count(d => d!["state"]!.GetValue<string>() == "queued") == 3,
                "failed attempts while the receiver is down, three deliveries queued", server.RecentOutput);
            server.Kill();
        }

        await using (var server = await BollardProcess.StartAsync(_data, environment))
        {
            using var registry = Registry(server);
            await AccessServer.PushImageAsync(registry, Repo, "v4");
            expected.Add(("dev.bollard.manifest.pushed", $"{Repo}:v4"));
            await receiver.StartAsync(); // back, on the same port

            var got = await WebhookSupport.EventuallyAsync(() => Task.FromResult(receiver.Accepted), r => r.Select(x => x.EventId).Distinct().Count() >= expected.Count,
                $"{expected.Count} distinct events", server.RecentOutput);
            foreach (var r in got) output.WriteLine($"{r.EventId} delivery {r.Delivery} attempt {r.Attempt}");
            Assert.All(got, r => Assert.True(r.SignatureValid, $"signature of {r.EventId}"));
            // In order: collapsing repeats of the same id leaves each id once, in sequence order.
            var collapsed = got.Where((r, i) => i == 0 || got[i - 1].EventId != r.EventId).ToList();
            Assert.Equal(collapsed.Select(r => r.EventId).Distinct(), collapsed.Select(r => r.EventId));
            var events = collapsed.Select(r => JsonNode.Parse(r.Body)!).ToList();
            Assert.Equal(expected, events.Select(e => (e["type"]!.GetValue<string>(), e["subject"]!.GetValue<string>())));
            var sequences = events.Select(e => e["data"]!["sequence"]!.GetValue<long>()).ToList();
            Assert.Equal(sequences.Order(), sequences);
            // A repeat is the same request: same id, same bytes.
            foreach (var group in got.GroupBy(r => r.EventId)) Assert.All(group, r => Assert.Equal(group.First().Body, r.Body));

            using var api = Api(server);
            var log = await WebhookSupport.DeliveriesAsync(api, id);
            Assert.All(log["deliveries"]!.AsArray(), d => Assert.Equal("delivered", d!["state"]!.GetValue<string>()));
            Assert.Contains(WebhookSupport.Attempts(log), a => a["outcome"]!.GetValue<string>() == "failed" && a["error"]!.GetValue<string>().Contains("refused", StringComparison.OrdinalIgnoreCase));
        }
    }

    private static HttpClient Registry(BollardProcess server) =>
        new(new AccessTokenDanceHandler(new AccessCreds("admin", AccessServer.AdminPassword)) { InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false } })
        {
            BaseAddress = server.BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };

    private static HttpClient Api(BollardProcess server)
    {
        var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new("Basic", new AccessCreds("admin", AccessServer.AdminPassword).BasicHeader);
        return client;
    }
}
