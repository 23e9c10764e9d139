using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Webhooks;

/// <summary>Issue 7: a registry-wide event (GC finished) reaches only the webhooks whose pattern is <c>**</c>.</summary>
public sealed class WebhookRegistryWideEventTests(ITestOutputHelper output)
{
    [Fact]
    public async Task GcFinished_GoesOnlyToTheWholeRegistryWebhook()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        await using var server = await BollardServer.StartAsync(WebhookSupport.FastLoopback(), output: output);
        var api = server.Client;
        var (all, secret) = await WebhookSupport.CreateAsync(api, receiver.Url, "**", ["gc.finished"]);
        receiver.Secret = secret;
        var (team, _) = await WebhookSupport.CreateAsync(api, receiver.Url, "team/**", ["gc.finished"]);

        using (var start = await api.PostAsync("/api/v1/gc", null)) Assert.True(start.IsSuccessStatusCode, await start.Content.ReadAsStringAsync());
        var got = await WebhookSupport.EventuallyAsync(() => Task.FromResult(receiver.Accepted), r => r.Count >= 1, "the gc.finished event", server.RecentLog);
        var gc = JsonNode.Parse(got[0].Body)!;
        Assert.Equal("dev.bollard.gc.finished", gc["type"]!.GetValue<string>());
        Assert.Null(gc["subject"]);
        Assert.True(got[0].SignatureValid);
        // The same fan-out (one transaction for every webhook) queued nothing for the namespace webhook.
        Assert.Single((await WebhookSupport.DeliveriesAsync(api, all))["deliveries"]!.AsArray());
        Assert.Empty((await WebhookSupport.DeliveriesAsync(api, team))["deliveries"]!.AsArray());
    }
}
