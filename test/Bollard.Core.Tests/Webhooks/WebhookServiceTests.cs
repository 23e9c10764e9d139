using Bollard.Core.Auth;
using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Webhooks;
using System.Text;
using System.Text.Json.Nodes;

namespace Bollard.Core.Tests.Webhooks;

public sealed class WebhookServiceTests
{
    [Theory]
    [InlineData("**", "**", true)]
    [InlineData("**", "team-a/app", true)]
    [InlineData("team-a/**", "team-a/**", true)]
    [InlineData("team-a/**", "team-a", true)]
    [InlineData("team-a/**", "team-a/x/**", true)]
    [InlineData("team-a/**", "team-a/*", true)]
    [InlineData("team-a/**", "team-a/web-*", true)]
    [InlineData("team-a/*", "team-a/web-*", true)]
    [InlineData("team-a/web-*", "team-a/web-1", true)]
    [InlineData("team-a/**", "**", false)]
    [InlineData("team-a/**", "team-*/**", false)]
    [InlineData("team-a/**", "team-a*/**", false)]
    [InlineData("team-a/**", "team-b/app", false)]
    [InlineData("team-a/*", "team-a/**", false)]
    [InlineData("team-a/*", "team-a/x/y", false)]
    [InlineData("team-a/web-*", "team-a/*", false)]
    [InlineData("*/app", "team-a/app", true)]
    [InlineData("**/app", "team-a/**", false)]
    public void Covers_DecidesOnPatterns(string outer, string inner, bool covers) =>
        Assert.Equal(covers, WebhookService.Covers(NamespacePattern.Parse(outer), NamespacePattern.Parse(inner)));

    [Fact]
    public void Sign_IsHmacSha256OverTimestampDotBody_Verifiable()
    {
        byte[] body = Encoding.UTF8.GetBytes("{\"a\":1}");
        string signature = WebhookSignature.Sign("whsec_test", 1700000000, body);
        // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        Assert.Equal("v1=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes("whsec_test"),
            Encoding.UTF8.GetBytes("1700000000.{\"a\":1}"))), signature);
        var at = DateTimeOffset.FromUnixTimeSeconds(1700000000);
        Assert.True(WebhookSignature.Verify("whsec_test", "1700000000", body, signature, at.AddMinutes(4), TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("whsec_test", "1700000000", body, signature, at.AddMinutes(6), TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("whsec_other", "1700000000", body, signature, at, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("whsec_test", "1700000001", body, signature, at, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("whsec_test", "1700000000", Encoding.UTF8.GetBytes("{\"a\":2}"), signature, at, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void EventNames_RoundTrip()
    {
        Assert.Equal("manifest.pushed", WebhookEventNames.Of(RegistryEventKind.ManifestPushed));
        Assert.Equal("gc.finished", WebhookEventNames.Of(RegistryEventKind.GcFinished));
        Assert.Equal("dev.bollard.quota.exceeded", WebhookEventNames.TypeOf(RegistryEventKind.QuotaExceeded));
        foreach (var kind in Enum.GetValues<RegistryEventKind>())
        {
            Assert.True(WebhookEventNames.TryParse(WebhookEventNames.Of(kind), out var parsed));
            Assert.Equal(kind, parsed);
        }
        Assert.False(WebhookEventNames.TryParse("manifest.pulled", out _));
    }

    [Fact]
    public void Wants_RegistryWideEvents_OnlyForTheWholeRegistry()
    {
        var gc = new RegistryEvent { Kind = RegistryEventKind.GcFinished, Time = DateTimeOffset.UnixEpoch, Size = 10 };
        var pushed = new RegistryEvent { Kind = RegistryEventKind.ManifestPushed, Time = DateTimeOffset.UnixEpoch, Repository = RepositoryName.Parse("team-a/app") };
        WebhookRecord Hook(string pattern) => new()
        {
            Pattern = NamespacePattern.Parse(pattern), Url = new Uri("http://x/"), Events = WebhookEventNames.Defaults, Secret = "s",
        };
        Assert.True(Hook("**").Wants(gc));
        Assert.False(Hook("team-a/**").Wants(gc));
        Assert.True(Hook("team-a/**").Wants(pushed));
        Assert.False(Hook("team-b/**").Wants(pushed));
        Assert.False((Hook("**") with { Enabled = false }).Wants(pushed));
        Assert.False((Hook("**") with { Events = [RegistryEventKind.TagDeleted] }).Wants(pushed));
    }

    [Fact]
    public void Render_CloudEvent_HasTheRequiredAttributes_AndAStableId()
    {
        var e = new RegistryEvent
        {
            Sequence = 42, Kind = RegistryEventKind.TagDeleted, Time = DateTimeOffset.Parse("2026-01-02T03:04:05.678Z", System.Globalization.CultureInfo.InvariantCulture),
            Repository = RepositoryName.Parse("team-a/app"), Tag = "v1", Principal = "alice",
        };
        var hook = new WebhookRecord { Id = 7, Pattern = NamespacePattern.Parse("**"), Url = new Uri("http://x/"), Events = WebhookEventNames.Defaults, Secret = "s" };
        var a = WebhookPayloads.Render(e, hook, "https://registry.example.com", DateTimeOffset.UnixEpoch);
        var b = WebhookPayloads.Render(e, hook, "https://registry.example.com", DateTimeOffset.UnixEpoch.AddHours(1));
        Assert.Equal(a.Body, b.Body);
        Assert.Equal("bollard-42", a.EventId);
        var json = JsonNode.Parse(a.Body)!;
        Assert.Equal("1.0", json["specversion"]!.GetValue<string>());
        Assert.Equal("bollard-42", json["id"]!.GetValue<string>());
        Assert.Equal("https://registry.example.com", json["source"]!.GetValue<string>());
        Assert.Equal("dev.bollard.tag.deleted", json["type"]!.GetValue<string>());
        Assert.Equal("2026-01-02T03:04:05.678Z", json["time"]!.GetValue<string>());
        Assert.Equal("team-a/app:v1", json["subject"]!.GetValue<string>());
        Assert.Equal("alice", json["data"]!["actor"]!.GetValue<string>());
        Assert.Equal(WebhookPayloads.CloudEventsContentType, a.ContentType);

        var envelope = WebhookPayloads.Render(e, hook with { Format = WebhookFormat.Distribution }, "https://registry.example.com", DateTimeOffset.UnixEpoch);
        var only = JsonNode.Parse(envelope.Body)!["events"]!.AsArray().Single()!;
        Assert.Equal("delete", only["action"]!.GetValue<string>());
        Assert.Equal("bollard-42", only["id"]!.GetValue<string>());
        Assert.Equal(WebhookPayloads.DistributionContentType, envelope.ContentType);
    }
}
