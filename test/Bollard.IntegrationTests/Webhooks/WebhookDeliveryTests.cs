using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Webhooks;

/// <summary>
/// Issue 7, webhooks: the real server on loopback sends signed requests to a receiver on loopback (<see cref="WebhookReceiver"/>):
/// CloudEvents fields, the Distribution envelope, redelivery with the same id and body, a ping, the namespace filter,
/// and a failing webhook that is disabled and enabled again. Access control is off here (every caller may manage);
/// <see cref="WebhookPermissionTests"/> has the role checks, <see cref="WebhookDestinationTests"/> the allow list.
/// </summary>
public sealed class WebhookDeliveryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task CloudEvents_SignedInOrder_OnlyForTheNamespace_RedeliveredWithTheSameId()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        await using var server = await BollardServer.StartAsync(WebhookSupport.FastLoopback(), output: output);
        var api = server.Client;
        var (id, secret) = await WebhookSupport.CreateAsync(api, receiver.Url, "hooks/**");
        receiver.Secret = secret;
        Assert.StartsWith("whsec_", secret);

        var (_, digest) = await api.PushImageAsync("hooks/app", "v1");
        await api.PushImageAsync("other/app", "v1"); // another namespace: not for this webhook
        using (var delete = await api.DeleteAsync("/v2/hooks/app/manifests/v1")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

        var got = await WebhookSupport.EventuallyAsync(() => Task.FromResult(receiver.Accepted), r => r.Count >= 2, "two events", server.RecentLog);
        Assert.All(got, r => Assert.True(r.SignatureValid, $"signature of {r.EventId}"));
        Assert.All(got, r => Assert.Equal("application/cloudevents+json", r.ContentType));
        var events = got.Select(r => JsonNode.Parse(r.Body)!).ToList();
        Assert.Equal(["dev.bollard.manifest.pushed", "dev.bollard.tag.deleted"], events.Select(e => e["type"]!.GetValue<string>()));
        var pushed = events[0];
        Assert.Equal("1.0", pushed["specversion"]!.GetValue<string>());
        Assert.Equal("/bollard", pushed["source"]!.GetValue<string>());
        Assert.Equal("hooks/app:v1", pushed["subject"]!.GetValue<string>());
        Assert.Equal(got[0].EventId, pushed["id"]!.GetValue<string>());
        long sequence = pushed["data"]!["sequence"]!.GetValue<long>();
        Assert.Equal($"bollard-{sequence}", got[0].EventId);
        Assert.True(DateTimeOffset.TryParse(pushed["time"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.Equal("hooks/app", pushed["data"]!["repository"]!.GetValue<string>());
        Assert.Equal(digest, pushed["data"]!["digest"]!.GetValue<string>());
        Assert.Equal("v1", pushed["data"]!["tag"]!.GetValue<string>());
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", pushed["data"]!["mediaType"]!.GetValue<string>());
        Assert.True(events[1]["data"]!["sequence"]!.GetValue<long>() > sequence);
        Assert.DoesNotContain(events, e => e["subject"]!.GetValue<string>().StartsWith("other/", StringComparison.Ordinal));

        // The delivery log shows both, delivered with 200; the secret is never shown again.
        var log = await WebhookSupport.DeliveriesAsync(api, id);
        Assert.Equal(2, WebhookSupport.Attempts(log).Count(a => a["outcome"]!.GetValue<string>() == "delivered" && a["responseCode"]!.GetValue<int>() == 200));
        Assert.Null((await WebhookSupport.GetAsync(api, id))["secret"]);
        Assert.DoesNotContain(secret, await api.GetStringAsync("/api/v1/webhooks"), StringComparison.Ordinal);

        // Redelivery: the same id and the same bytes, signed again.
        long first = log["deliveries"]!.AsArray().Select(d => d!["id"]!.GetValue<long>()).Min();
        using (var redeliver = await api.PostAsync($"/api/v1/webhooks/{id}/deliveries/{first}/redeliver", null))
            await AccessServer.ExpectAsync(redeliver, HttpStatusCode.Accepted, "redeliver");
        got = await WebhookSupport.EventuallyAsync(() => Task.FromResult(receiver.Accepted), r => r.Count >= 3, "the redelivery", server.RecentLog);
        Assert.Equal(got[0].EventId, got[2].EventId);
        Assert.Equal(got[0].Body, got[2].Body);
        Assert.True(got[2].SignatureValid);

        // A ping goes through the same queue and signature.
        using (var ping = await api.PostAsync($"/api/v1/webhooks/{id}/ping", null)) await AccessServer.ExpectAsync(ping, HttpStatusCode.Accepted, "ping");
        got = await WebhookSupport.EventuallyAsync(() => Task.FromResult(receiver.Accepted), r => r.Count >= 4, "the ping", server.RecentLog);
        Assert.Equal("dev.bollard.webhook.ping", JsonNode.Parse(got[3].Body)!["type"]!.GetValue<string>());
        Assert.True(got[3].SignatureValid);
    }

    [Fact]
    public async Task DistributionEnvelope_PushAndDelete()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        await using var server = await BollardServer.StartAsync(WebhookSupport.FastLoopback(), output: output);
        var api = server.Client;
        var (_, secret) = await WebhookSupport.CreateAsync(api, receiver.Url, "dist/*", ["manifest.pushed", "tag.deleted"], "distribution");
        receiver.Secret = secret;
        var (manifest, digest) = await api.PushImageAsync("dist/app", "latest");
        using (var delete = await api.DeleteAsync("/v2/dist/app/manifests/latest")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

        var got = await WebhookSupport.EventuallyAsync(() => Task.FromResult(receiver.Accepted), r => r.Count >= 2, "two envelopes", server.RecentLog);
        Assert.All(got, r => Assert.Equal("application/vnd.docker.distribution.events.v1+json", r.ContentType));
        Assert.All(got, r => Assert.True(r.SignatureValid));
        var push = JsonNode.Parse(got[0].Body)!["events"]!.AsArray().Single()!;
        Assert.Equal("push", push["action"]!.GetValue<string>());
        Assert.Equal(got[0].EventId, push["id"]!.GetValue<string>());
        Assert.Equal("dist/app", push["target"]!["repository"]!.GetValue<string>());
        Assert.Equal(digest, push["target"]!["digest"]!.GetValue<string>());
        Assert.Equal("latest", push["target"]!["tag"]!.GetValue<string>());
        Assert.Equal(manifest.Length, push["target"]!["size"]!.GetValue<long>());
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", push["target"]!["mediaType"]!.GetValue<string>());
        Assert.True(DateTimeOffset.TryParse(push["timestamp"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _));
        var delete2 = JsonNode.Parse(got[1].Body)!["events"]!.AsArray().Single()!;
        Assert.Equal("delete", delete2["action"]!.GetValue<string>());
        Assert.Equal("latest", delete2["target"]!["tag"]!.GetValue<string>());
    }

    [Fact]
    public async Task FailingWebhook_IsDisabledWithTheReason_AndEnabledAgainDeliversTheSameEvent()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        receiver.Status = 500;
        await using var server = await BollardServer.StartAsync(WebhookSupport.FastLoopback(disableAfterFailures: 3), output: output);
        var api = server.Client;
        var (id, secret) = await WebhookSupport.CreateAsync(api, receiver.Url, "flaky/**");
        receiver.Secret = secret;
        await api.PushImageAsync("flaky/app", "v1");

        var webhook = await WebhookSupport.EventuallyAsync(() => WebhookSupport.GetAsync(api, id), w => !w["enabled"]!.GetValue<bool>(), "the webhook disabled", server.RecentLog);
        string reason = webhook["disabledReason"]!.GetValue<string>();
        Assert.Contains("3 consecutive failed attempts", reason, StringComparison.Ordinal);
        Assert.Contains("500", reason, StringComparison.Ordinal);
        var attempts = WebhookSupport.Attempts(await WebhookSupport.DeliveriesAsync(api, id)).ToList();
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(500, a["responseCode"]!.GetValue<int>()));
        Assert.All(attempts, a => Assert.Equal("failed", a["outcome"]!.GetValue<string>()));
        Assert.Equal([3, 2, 1], attempts.Select(a => a["attempt"]!.GetValue<int>()));
        Assert.Equal(3, receiver.Rejected.Count);

        // Enabled again: the event it failed on is delivered first, then what follows.
        receiver.Status = 200;
        using (var enable = await api.PatchAsJsonAsync($"/api/v1/webhooks/{id}", new { enabled = true }))
        {
            var enabled = await AccessServer.ExpectAsync(enable, HttpStatusCode.OK, "enable");
            Assert.True(enabled["enabled"]!.GetValue<bool>());
            Assert.Null(enabled["disabledReason"]);
            Assert.Equal(0, enabled["consecutiveFailures"]!.GetValue<int>());
        }
        var got = await WebhookSupport.EventuallyAsync(() => Task.FromResult(receiver.Accepted), r => r.Count >= 1, "the event after enabling", server.RecentLog);
        Assert.Equal(receiver.Rejected[0].EventId, got[0].EventId);
        Assert.True(got[0].SignatureValid);
        await api.PushImageAsync("flaky/app", "after");
        got = await WebhookSupport.EventuallyAsync(() => Task.FromResult(receiver.Accepted), r => r.Count >= 2, "the event after enabling", server.RecentLog);
        Assert.Equal(["v1", "after"], got.Select(r => JsonNode.Parse(r.Body)!["data"]!["tag"]!.GetValue<string>()));
    }

    [Fact]
    public async Task BadInput_IsRefusedWithTheReason()
    {
        await using var server = await BollardServer.StartAsync(WebhookSupport.FastLoopback(), output: output);
        var api = server.Client;
        (string Url, string Ns, string[]? Events, string? Format, string Expected)[] cases =
        [
            ("ftp://127.0.0.1/x", "a/**", null, null, "scheme"),
            ("http://user:pw@127.0.0.1/x", "a/**", null, null, "credentials"),
            ("not a url", "a/**", null, null, "absolute"),
            ("http://127.0.0.1/x", "A/**", null, null, "namespace"),
            ("http://127.0.0.1/x", "a/**", ["manifest.pulled"], null, "manifest.pulled"),
            ("http://127.0.0.1/x", "a/**", null, "xml", "format"),
            ("http://hooks.invalid/x", "a/**", null, null, "not in Webhooks:AllowedHosts"),
        ];
        foreach (var c in cases)
        {
            using var response = await WebhookSupport.PostWebhookAsync(api, c.Url, c.Ns, c.Events, c.Format);
            var body = await AccessServer.ExpectAsync(response, HttpStatusCode.BadRequest, c.Url);
            Assert.Contains(c.Expected, body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        Assert.Empty((await api.GetFromJsonAsync<JsonArray>("/api/v1/webhooks"))!);
    }
}
