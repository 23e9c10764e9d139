using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Bollard.IntegrationTests.Trust.PolicyTestSupport;

namespace Bollard.IntegrationTests.Trust;

/// <summary>
/// A policy trusting a server-held key (<c>serverKey</c>) on the real server: an image the server signed with it is
/// served, and once an admin deletes the key the next pull is refused (the key's signatures stop counting at once,
/// docs/trust.md), not served from a cached decision until its TTL.
/// </summary>
public sealed class ServerKeyPolicyTests
{
    [Fact]
    public async Task Deleting_a_server_key_a_policy_trusts_denies_the_next_pull_not_after_the_cache_ttl()
    {
        await using var access = await AccessServer.StartAsync();
        var admin = access.AdminApi;
        var registry = access.Registry(access.Admin);
        var image = await AccessServer.PushImageAsync(registry, "srvkey/app", "1");
        using (var created = await admin.PostAsJsonAsync("/api/v1/signing-keys", new { name = "release", algorithm = "ecdsa-p256", principals = new[] { "admin" } }))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using (var signed = await admin.PostAsJsonAsync("/api/v1/signing-keys/release/sign", new { repository = "srvkey/app", reference = "1", formats = new[] { "cosign" } }))
            Assert.True(signed.IsSuccessStatusCode, await signed.Content.ReadAsStringAsync());
        var policy = Policy("srvkey", "srvkey/**", "enforce", extra: new JsonObject
        {
            ["signers"] = new JsonObject { ["release"] = new JsonObject { ["serverKey"] = "release" } },
            ["require"] = "release",
        });
        await PutPolicyOkAsync(admin, policy);

        // Served, and the decision is now cached (the default TTL is minutes).
        using (var served = await PullUntilAsync(registry, "srvkey/app", "1", HttpStatusCode.OK))
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        using (var again = await registry.GetAsync("/v2/srvkey/app/manifests/1"))
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        using (var deleted = await admin.DeleteAsync(new Uri("/api/v1/signing-keys/release", UriKind.Relative)))
            Assert.True(deleted.IsSuccessStatusCode, await deleted.Content.ReadAsStringAsync());
        using var denied = await registry.GetAsync("/v2/srvkey/app/manifests/1");
        string body = await denied.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("server key release does not exist", body, StringComparison.Ordinal);
    }
}
