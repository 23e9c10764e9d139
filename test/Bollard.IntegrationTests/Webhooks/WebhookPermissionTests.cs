using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Webhooks;

/// <summary>
/// Issue 7: only maintainers of the namespace (the webhook's pattern within what they maintain) and admins manage its
/// webhooks; refusals and changes are audited.
/// </summary>
public sealed class WebhookPermissionTests
{
    [Fact]
    public async Task DeveloperRefused_MaintainerOfTheNamespaceAllowed_MaintainerOfAnotherRefused_AdminAllowed()
    {
        await using var access = await AccessServer.StartAsync(WebhookSupport.FastLoopback());
        var developer = await access.CreateUserWithRoleAsync(AccessServer.Unique("dev"), "developer", "team-a/**");
        var maintainer = await access.CreateUserWithRoleAsync(AccessServer.Unique("maint"), "maintainer", "team-a/**");
        var other = await access.CreateUserWithRoleAsync(AccessServer.Unique("other"), "maintainer", "team-b/**");
        var robot = await access.CreateRobotAsync(AccessServer.Unique("ci"), ("maintainer", "team-a/**"));
        const string Url = "http://127.0.0.1:9/hook";

        using (var refused = await WebhookSupport.PostWebhookAsync(access.Api(developer), Url, "team-a/**"))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using (var anonymous = await WebhookSupport.PostWebhookAsync(access.Raw(), Url, "team-a/**"))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        // Wider than what they maintain: refused.
        foreach (string wider in new[] { "**", "team-*/**", "team-a*/**", "team-b/app" })
            using (var refused = await WebhookSupport.PostWebhookAsync(access.Api(maintainer), Url, wider))
                Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{wider}: {(int)refused.StatusCode}");

        var (mine, _) = await WebhookSupport.CreateAsync(access.Api(maintainer), new Uri(Url), "team-a/**");
        var (narrower, _) = await WebhookSupport.CreateAsync(access.Api(maintainer), new Uri(Url), "team-a/apps/*");
        var (robots, _) = await WebhookSupport.CreateAsync(access.Api(robot), new Uri(Url), "team-a/ci");
        var (admins, _) = await WebhookSupport.CreateAsync(access.AdminApi, new Uri(Url), "**", ["gc.finished", "quota.exceeded"]);

        // The other namespace's maintainer neither sees nor changes them.
        var api = access.Api(other);
        Assert.Empty((await api.GetFromJsonAsync<JsonArray>("/api/v1/webhooks"))!);
        using (var r = await api.GetAsync($"/api/v1/webhooks/{mine}")) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await api.PatchAsJsonAsync($"/api/v1/webhooks/{mine}", new { url = "http://127.0.0.1:10/x" })) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await api.DeleteAsync($"/api/v1/webhooks/{mine}")) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await api.GetAsync($"/api/v1/webhooks/{mine}/deliveries")) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await api.PostAsync($"/api/v1/webhooks/{mine}/ping", null)) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await access.Api(developer).GetAsync($"/api/v1/webhooks/{mine}")) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);

        // The maintainer sees their namespace's webhooks (not the admin's '**' one) and may not widen one past it.
        var listed = (await access.Api(maintainer).GetFromJsonAsync<JsonArray>("/api/v1/webhooks"))!.Select(w => w!["id"]!.GetValue<long>()).ToList();
        Assert.Equal([mine, narrower, robots], listed);
        using (var r = await access.Api(maintainer).PatchAsJsonAsync($"/api/v1/webhooks/{mine}", new { @namespace = "**" })) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await access.Api(maintainer).PatchAsJsonAsync($"/api/v1/webhooks/{mine}", new { description = "team a builds" }))
            Assert.Equal("team a builds", (await AccessServer.ExpectAsync(r, HttpStatusCode.OK, "update"))["description"]!.GetValue<string>());
        using (var r = await access.Api(maintainer).DeleteAsync($"/api/v1/webhooks/{narrower}")) Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);

        // The admin sees and manages all.
        var all = (await access.AdminApi.GetFromJsonAsync<JsonArray>("/api/v1/webhooks"))!.Select(w => w!["id"]!.GetValue<long>()).ToList();
        Assert.Equal([mine, robots, admins], all);
        using (var r = await access.AdminApi.DeleteAsync($"/api/v1/webhooks/{mine}")) Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);

        await access.AssertAuditedAsync(maintainer.User, "webhook.create", "success");
        await access.AssertAuditedAsync(maintainer.User, "webhook.update", "success");
        await access.AssertAuditedAsync(maintainer.User, "webhook.delete", "success");
        await access.AssertAuditedAsync(access.Admin.User, "webhook.delete", "success");
        await access.AssertAuditedAsync(other.User, "access.denied", "denied");
        await access.AssertAuditedAsync(developer.User, "access.denied", "denied");
    }
}
