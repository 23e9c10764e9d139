using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Cli;

/// <summary>Issue 7: <c>bollard webhook add|list|show|deliveries|redeliver|enable|remove</c> against a real server and receiver.</summary>
public sealed class CliWebhookTests
{
    [Fact]
    public async Task Webhook_AddListShowDeliveriesRedeliverRemove()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var settings = new Dictionary<string, string?>(CliRunner.AuthSettings);
        foreach (var (k, v) in WebhookSupport.FastLoopback()) settings[k] = v;
        await using var server = await BollardServer.StartAsync(settings);
        using var cli = new CliRunner();
        await cli.LoginAsync(server);

        var add = await cli.RunAsync("webhook", "add", receiver.Url.ToString(), "--namespace", "cli/**", "--event", "manifest.pushed", "--json");
        CliRunner.Succeeded(add);
        var created = JsonNode.Parse(add.Stdout)!;
        long id = created["webhook"]!["id"]!.GetValue<long>();
        receiver.Secret = created["secret"]!.GetValue<string>();
        var human = await cli.RunAsync("webhook", "add", receiver.Url.ToString(), "--namespace", "cli/other", "--format", "distribution");
        CliRunner.Succeeded(human);
        Assert.Contains("Signing secret: whsec_", human.Stdout, StringComparison.Ordinal);
        Assert.Contains("shown only this once", human.Stdout, StringComparison.Ordinal);

        var list = await cli.RunAsync("webhook", "list");
        CliRunner.Succeeded(list);
        Assert.Contains("cli/**", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("distribution", list.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(receiver.Secret, list.Stdout, StringComparison.Ordinal);
        var show = await cli.RunAsync("webhook", "show", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        CliRunner.Succeeded(show);
        Assert.Contains("manifest.pushed", show.Stdout, StringComparison.Ordinal);

        using var registry = new HttpClient(new AccessTokenDanceHandler(new AccessCreds("admin", CliRunner.AdminPassword))
        {
            InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false },
        }) { BaseAddress = server.BaseAddress };
        await AccessServer.PushImageAsync(registry, "cli/app", "v1");
        await WebhookSupport.EventuallyAsync(() => Task.FromResult(receiver.Accepted.Count), n => n >= 1, "the push event");

        string sid = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var deliveries = await cli.RunAsync("webhook", "deliveries", sid, "--json");
        CliRunner.Succeeded(deliveries);
        long delivery = JsonNode.Parse(deliveries.Stdout)!["deliveries"]!.AsArray().Single()!["id"]!.GetValue<long>();
        var table = await cli.RunAsync("webhook", "deliveries", sid);
        CliRunner.Succeeded(table);
        Assert.Contains("delivered", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("200", table.Stdout, StringComparison.Ordinal);

        CliRunner.Succeeded(await cli.RunAsync("webhook", "redeliver", sid, delivery.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var got = await WebhookSupport.EventuallyAsync(() => Task.FromResult(receiver.Accepted), r => r.Count >= 2, "the redelivery");
        Assert.Equal(got[0].EventId, got[1].EventId);
        Assert.All(got, r => Assert.True(r.SignatureValid));

        CliRunner.Succeeded(await cli.RunAsync("webhook", "enable", sid, "--disable"));
        Assert.Contains("DISABLED", (await cli.RunAsync("webhook", "list")).Stdout, StringComparison.Ordinal);
        CliRunner.Succeeded(await cli.RunAsync("webhook", "enable", sid));
        CliRunner.Succeeded(await cli.RunAsync("webhook", "remove", sid));
        CliRunner.Failed(await cli.RunAsync("webhook", "show", sid), 1, "no webhook");
    }
}
