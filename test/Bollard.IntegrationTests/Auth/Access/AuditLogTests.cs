using System.Net;
using System.Net.Http.Json;

namespace Bollard.IntegrationTests.Auth.Access;

/// <summary>
/// The audit log through the API: append-only (no method or route changes or removes events), filterable by
/// action, principal and outcome, and a non-admin sees only their own events.
/// </summary>
public sealed class AuditLogTests(AccessServerFixture fixture) : IClassFixture<AccessServerFixture>
{
    private readonly AccessServer _access = fixture.Access;

    [Fact]
    public async Task TheLogCannotBeChangedThroughTheApi_AndEventsStay()
    {
        var ivan = await _access.CreateUserAsync(AccessServer.Unique("ivan"));
        using (var failed = await _access.Api(ivan with { Secret = "wrong-password-1" }).GetAsync("/api/v1/me"))
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        var before = await _access.AuditAsync();
        Assert.NotEmpty(before);
        long someId = before[^1].Id;

        foreach (var who in new[] { _access.Admin, ivan })
        {
            var api = _access.Api(who);
            var attempts = new (string What, Func<Task<HttpResponseMessage>> Send)[]
            {
                ("PUT /audit", () => api.PutAsJsonAsync("/api/v1/audit", new { events = Array.Empty<object>() })),
                ("DELETE /audit", () => api.DeleteAsync("/api/v1/audit")),
                ("PATCH /audit", () => api.PatchAsJsonAsync("/api/v1/audit", new { outcome = "success" })),
                ("POST /audit", () => api.PostAsJsonAsync("/api/v1/audit", new { action = "login", principal = "admin", outcome = "success" })),
                ("DELETE /audit/{id}", () => api.DeleteAsync($"/api/v1/audit/{someId}")),
                ("PUT /audit/{id}", () => api.PutAsJsonAsync($"/api/v1/audit/{someId}", new { outcome = "success" })),
                ("PATCH /audit/{id}", () => api.PatchAsJsonAsync($"/api/v1/audit/{someId}", new { outcome = "success" })),
                ("DELETE /audit?before=", () => api.DeleteAsync($"/api/v1/audit?before={someId + 1}")),
            };
            foreach (var (what, send) in attempts)
            {
                using var response = await send();
                Assert.True(response.StatusCode is HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotFound,
                    $"{who.User}: {what} -> {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        // Every event is still there, unchanged (the list only grew: the queries themselves log in).
        var after = await _access.AuditAsync();
        var afterById = after.ToDictionary(e => e.Id);
        foreach (var e in before)
        {
            Assert.True(afterById.TryGetValue(e.Id, out var now), $"event {e.Id} ({e.Action}) is gone");
            Assert.Equal(e, now);
        }
        await _access.AssertAuditedAsync(ivan.User, "login", "failure");
    }

    [Fact]
    public async Task Filters_SelectByActionPrincipalAndOutcome()
    {
        string ns = AccessServer.Unique("audit");
        var judy = await _access.CreateUserWithRoleAsync(AccessServer.Unique("judy"), "developer", $"{ns}/**");
        var image = await AccessServer.PushImageAsync(_access.Registry(judy), $"{ns}/app", "v1");
        using (var denied = await _access.Registry(judy).DeleteAsync($"/v2/{ns}/app/manifests/{image.Digest}"))
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);

        var pushes = await _access.AssertAuditedAsync(judy.User, "push", "success"); // audited asynchronously, from the event outbox
        var push = Assert.Single(pushes);
        Assert.Equal($"{ns}/app", push.Repository);
        Assert.Equal($"v1@{image.Digest}", push.Reference);

        var deniedEvents = await _access.AuditAsync(principal: judy.User, action: "access.denied");
        Assert.NotEmpty(deniedEvents);
        Assert.All(deniedEvents, e => Assert.Equal(("denied", $"{ns}/app", "delete"), (e.Outcome, e.Repository, e.Detail)));
        Assert.All(await _access.AuditAsync(principal: judy.User), e => Assert.Equal(judy.User, e.Principal));
        Assert.All(await _access.AuditAsync(outcome: "denied", limit: 50), e => Assert.Equal("denied", e.Outcome));
        Assert.Empty(await _access.AuditAsync(principal: judy.User, action: "delete"));
        Assert.Equal(pushes, await _access.AuditAsync(repository: $"{ns}/app", action: "push"));
        await _access.AssertAuditedAsync("admin", "user.create", "success", where: e => e.Reference == judy.User);
        await _access.AssertAuditedAsync("admin", "binding.create", "success", where: e => e.Reference == judy.User && e.Detail == $"developer on {ns}/**");
    }

    [Fact]
    public async Task ANonAdmin_SeesOnlyTheirOwnEvents_WhateverTheyFilterFor()
    {
        string ns = AccessServer.Unique("own");
        var kim = await _access.CreateUserWithRoleAsync(AccessServer.Unique("kim"), "developer", $"{ns}/**");
        var lee = await _access.CreateUserWithRoleAsync(AccessServer.Unique("lee"), "developer", $"{ns}/**");
        var bot = await _access.CreateRobotAsync(AccessServer.Unique("own"), ("developer", $"{ns}/**"));
        await AccessServer.PushImageAsync(_access.Registry(kim), $"{ns}/kim", "v1");
        await AccessServer.PushImageAsync(_access.Registry(lee), $"{ns}/lee", "v1");
        await AccessServer.PushImageAsync(_access.Registry(bot), $"{ns}/bot", "v1");
        await _access.AssertAuditedAsync(bot.User, "push", "success"); // the last push is audited (in order), so all are

        foreach (var who in new[] { kim, bot })
        {
            foreach (var (principal, action) in new (string?, string?)[] { (null, null), ("admin", null), (lee.User, "push"), (null, "user.create"), ("", null) })
            {
                var seen = await _access.AuditAsync(principal: principal, action: action, caller: who);
                Assert.All(seen, e => Assert.Equal(who.User, e.Principal));
            }
            Assert.Contains(await _access.AuditAsync(action: "push", caller: who), e => e.Repository == $"{ns}/{(who == kim ? "kim" : "bot")}");
        }
        // Anonymous: not at all.
        using (var anonymous = await _access.Raw().GetAsync("/api/v1/audit"))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        // A registry bearer token is not accepted on the management API.
        string token = await _access.TokenAsync(_access.Admin, $"repository:{ns}/kim:pull");
        using (var bearer = await _access.WithToken(token).GetAsync("/api/v1/audit"))
            Assert.Equal(HttpStatusCode.Unauthorized, bearer.StatusCode);
        // The admin sees everyone's.
        var all = await _access.AuditAsync(action: "push");
        foreach (var who in new[] { kim, lee, bot }) Assert.Contains(all, e => e.Principal == who.User);
    }
}
