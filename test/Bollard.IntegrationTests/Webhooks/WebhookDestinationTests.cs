using System.Net;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Webhooks;

/// <summary>
/// Issue 7, webhook destinations: cloud metadata and link-local addresses are refused however they are written; a
/// redirect from an allowed receiver to the metadata address is not followed (a failure with a clear log entry); a
/// listed name that resolves to a guarded address is refused at connect time (the DNS-rebinding case).
/// </summary>
public sealed class WebhookDestinationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[::ffff:169.254.169.254]/latest/meta-data/")]
    [InlineData("http://[::ffff:a9fe:a9fe]/")]
    [InlineData("http://[fd00:ec2::254]/latest/meta-data/")]
    [InlineData("http://169.254.10.1:8080/")]
    [InlineData("http://[fe80::1]/")]
    [InlineData("http://127.0.0.2/")]
    public async Task MetadataAndLinkLocal_AreRefused_EvenWithEveryHostAllowed(string url)
    {
        var settings = WebhookSupport.FastLoopback();
        settings["Webhooks:AllowedHosts:0"] = "*";
        await using var server = await BollardServer.StartAsync(settings, output: output);
        using var response = await WebhookSupport.PostWebhookAsync(server.Client, url, "**");
        var body = await AccessServer.ExpectAsync(response, HttpStatusCode.BadRequest, url);
        Assert.Contains("refused unless Webhooks:AllowedNetworks contains it", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedirectToTheMetadataAddress_IsNotFollowed_AndLogged()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        receiver.Status = 302;
        receiver.Location = "http://169.254.169.254/latest/meta-data/iam/security-credentials/";
        await using var server = await BollardServer.StartAsync(WebhookSupport.FastLoopback(), output: output);
        var (id, secret) = await WebhookSupport.CreateAsync(server.Client, receiver.Url, "redirect/**");
        receiver.Secret = secret;
        await server.Client.PushImageAsync("redirect/app", "v1");

        var log = await WebhookSupport.EventuallyAsync(() => WebhookSupport.DeliveriesAsync(server.Client, id),
            l => WebhookSupport.Attempts(l).Count() >= 2, "two attempts", server.RecentLog);
        foreach (var attempt in WebhookSupport.Attempts(log))
        {
            Assert.Equal("failed", attempt["outcome"]!.GetValue<string>());
            Assert.Equal(302, attempt["responseCode"]!.GetValue<int>());
            string error = attempt["error"]!.GetValue<string>();
            Assert.Contains("redirect (302) to 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' not followed", error, StringComparison.Ordinal);
        }
        // The receiver was asked again (retry), never anything else: the same delivery, still queued.
        Assert.True(receiver.Rejected.Count >= 2);
        Assert.Single(receiver.Rejected.Select(r => r.EventId).Distinct());
        Assert.Equal("queued", log["deliveries"]!.AsArray().Single()!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task ListedNameResolvingToLoopback_IsRefusedAtConnectTime()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var settings = WebhookSupport.FastLoopback();
        settings.Remove("Webhooks:AllowedNetworks:0");
        settings["Webhooks:AllowedHosts:0"] = "localhost";
        await using var server = await BollardServer.StartAsync(settings, output: output);
        // The name is listed, so the URL is accepted; where it points is judged when connecting.
        var (id, _) = await WebhookSupport.CreateAsync(server.Client, new Uri($"http://localhost:{receiver.Port}/hook"), "rebind/**");
        await server.Client.PushImageAsync("rebind/app", "v1");

        var log = await WebhookSupport.EventuallyAsync(() => WebhookSupport.DeliveriesAsync(server.Client, id),
            l => WebhookSupport.Attempts(l).Any(), "an attempt", server.RecentLog);
        var attempt = WebhookSupport.Attempts(log).Last();
        Assert.Equal("refused", attempt["outcome"]!.GetValue<string>());
        Assert.Null(attempt["responseCode"]);
        Assert.Contains("loopback", attempt["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(receiver.Accepted);
        Assert.Empty(receiver.Rejected);
    }
}
