using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Auth.Access;

/// <summary>
/// The management API against principals that try more than they may: granting themselves admin or a role
/// (Harbor CVE-2019-16097 class), opening their namespace to anonymous pull (Harbor CVE-2024-22278 class), and
/// reaching other principals' users, robots, tokens and bindings by name or id (BOLA, Harbor CVE-2022-31667
/// class). Every attempt fails closed (401/403/404), changes nothing, and is audited.
/// </summary>
public sealed class ManagementAttackTests(AccessServerFixture fixture) : IClassFixture<AccessServerFixture>
{
    private readonly AccessServer _access = fixture.Access;

    private async Task<JsonNode> MeAsync(AccessCreds creds)
    {
        using var response = await _access.Api(creds).GetAsync("/api/v1/me");
        return await AccessServer.ExpectAsync(response, HttpStatusCode.OK, $"/me as {creds.User}");
    }

    private async Task<List<JsonNode>> AllBindingsAsync()
    {
        using var response = await _access.AdminApi.GetAsync("/api/v1/bindings");
        return (await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "bindings")).AsArray().Select(b => b!).ToList();
    }

    private async Task<List<JsonNode>> AllUsersAsync()
    {
        using var response = await _access.AdminApi.GetAsync("/api/v1/users");
        return (await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "users")).AsArray().Select(b => b!).ToList();
    }

    private async Task<List<string>> RobotNamesAsync()
    {
        using var response = await _access.AdminApi.GetAsync("/api/v1/robots");
        return (await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "robots")).AsArray().Select(b => b!["name"]!.GetValue<string>()).ToList();
    }

    private static string Snapshot(IEnumerable<JsonNode> nodes) => string.Join('\n', nodes.Select(n => n.ToJsonString()).Order(StringComparer.Ordinal));

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string what, params HttpStatusCode[] allowed)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(allowed.Contains(response.StatusCode), $"{what}: expected {string.Join('/', allowed.Select(s => (int)s))}, got {(int)response.StatusCode} {body}");
    }

    /// <summary>Can the credentials still log in (management API)?</summary>
    private async Task<bool> WorksAsync(AccessCreds creds)
    {
        using var response = await _access.Api(creds).GetAsync("/api/v1/me");
        return response.StatusCode == HttpStatusCode.OK;
    }

    [Fact]
    public async Task User_CannotGrantThemselvesAdminOrARole()
    {
        string ns = AccessServer.Unique("esc");
        var mallory = await _access.CreateUserWithRoleAsync(AccessServer.Unique("mallory"), "maintainer", $"{ns}/**");
        var api = _access.Api(mallory);
        string usersBefore = Snapshot(await AllUsersAsync()), bindingsBefore = Snapshot(await AllBindingsAsync());
        string evil = AccessServer.Unique("evil");

        var attempts = new (string What, Func<Task<HttpResponseMessage>> Send)[]
        {
            ("PATCH self {admin:true}", () => api.PatchAsJsonAsync($"/api/v1/users/{mallory.User}", new { admin = true })),
            ("PATCH self {admin:true} with the right current password",
                () => api.PatchAsJsonAsync($"/api/v1/users/{mallory.User}", new { admin = true, password = "new-password-12345", currentPassword = mallory.Secret })),
            ("PATCH self upper-case name {admin:true}", () => api.PatchAsJsonAsync($"/api/v1/users/{mallory.User.ToUpperInvariant()}", new { admin = true })),
            ("PATCH admin {password}", () => api.PatchAsJsonAsync("/api/v1/users/admin", new { password = "taken-over-password" })),
            ("PATCH admin {password,currentPassword=mine}",
                () => api.PatchAsJsonAsync("/api/v1/users/admin", new { password = "taken-over-password", currentPassword = mallory.Secret })),
            ("POST users {admin:true}", () => api.PostAsJsonAsync("/api/v1/users", new { name = evil, password = "evil-password-123", admin = true })),
            ("POST bindings admin on **", () => api.PostAsJsonAsync("/api/v1/bindings", new { principal = mallory.User, role = "admin", @namespace = "**" })),
            ("POST bindings admin on own namespace", () => api.PostAsJsonAsync("/api/v1/bindings", new { principal = mallory.User, role = "admin", @namespace = $"{ns}/**" })),
            ("POST robots with admin on **", () => api.PostAsJsonAsync("/api/v1/robots", new { name = evil, bindings = new[] { new { role = "admin", @namespace = "**" } } })),
            ("POST token-keys/rotate", () => api.PostAsync("/api/v1/token-keys/rotate", null)),
        };
        foreach (var (what, send) in attempts)
        {
            using var response = await send();
            await AssertRefusedAsync(response, what, HttpStatusCode.Forbidden);
            Assert.Equal("FORBIDDEN", await AccessServer.ApiErrorCodeAsync(response));
        }

        // Nothing changed: still no admin, same bindings, same users, no robot, the passwords unchanged.
        var me = await MeAsync(mallory);
        Assert.False(me["admin"]!.GetValue<bool>());
        Assert.Equal($"maintainer on {ns}/**", string.Join(", ", me["bindings"]!.AsArray().Select(b => $"{b!["role"]} on {b["namespace"]}")));
        Assert.Equal(usersBefore, Snapshot(await AllUsersAsync()));
        Assert.Equal(bindingsBefore, Snapshot(await AllBindingsAsync()));
        Assert.DoesNotContain("robot$" + evil, await RobotNamesAsync());
        Assert.True(await WorksAsync(mallory), "mallory's password changed");
        Assert.True(await WorksAsync(_access.Admin), "the admin's password changed");
        // A token of mallory's still grants nothing outside the namespace.
        string token = await _access.TokenAsync(mallory, "repository:other/app:pull,push,delete", $"repository:{ns}/app:delete");
        Assert.DoesNotContain("other/app", AccessJwt.AccessOf(token));

        // Without credentials it is 401, not 403, and still nothing.
        using (var anonymous = await _access.Raw().PostAsJsonAsync("/api/v1/bindings", new { principal = mallory.User, role = "admin", @namespace = "**" }))
            await AssertRefusedAsync(anonymous, "anonymous POST bindings", HttpStatusCode.Unauthorized);
        Assert.Equal(bindingsBefore, Snapshot(await AllBindingsAsync()));

        // Every refusal is in the audit log under mallory's name, and no change is.
        var denied = await _access.AuditAsync(principal: mallory.User, outcome: "denied");
        // Identical refusals within Auth:AuditCoalesceWindow are one event with a count (issue 6, B2).
        Assert.True(denied.Sum(e => e.Count) >= attempts.Length, $"{denied.Sum(e => e.Count)} denied events for {attempts.Length} attempts: " + string.Join("; ", denied.Select(e => $"{e.Action} {e.Reference} {e.Detail}")));
        Assert.DoesNotContain(await _access.AuditAsync(principal: mallory.User, outcome: "success"), e => e.Action is not ("login" or "token.issue"));
    }

    [Fact]
    public async Task MaintainerOrNamespaceAdmin_CannotMakeTheirNamespacePublic()
    {
        string ns = AccessServer.Unique("pubesc");
        var maintainer = await _access.CreateUserWithRoleAsync(AccessServer.Unique("maint"), "maintainer", $"{ns}/**");
        var nsAdmin = await _access.CreateUserWithRoleAsync(AccessServer.Unique("nsadm"), "admin", $"{ns}/**");
        var robot = await _access.CreateRobotAsync(AccessServer.Unique("nsbot"), ("admin", $"{ns}/**"));
        var image = await AccessServer.PushImageAsync(_access.Registry(maintainer), $"{ns}/app", "v1");
        var publicBefore = await _access.PublicNamespacesAsync();

        foreach (var who in new[] { maintainer, nsAdmin, robot })
            foreach (string pattern in new[] { $"{ns}/**", $"{ns}/app", "**" })
            {
                using var response = await _access.Api(who).PutAsJsonAsync("/api/v1/namespaces/public", new { @namespace = pattern, @public = true });
                await AssertRefusedAsync(response, $"{who.User} PUT public {pattern}", HttpStatusCode.Forbidden);
                await _access.AssertAuditedAsync(who.User, "access.denied", "denied", where: e => e.Reference == "/api/v1/namespaces/public");
            }

        Assert.Equal(publicBefore, await _access.PublicNamespacesAsync());
        using (var pull = await _access.Registry(null).GetAsync($"/v2/{ns}/app/manifests/v1"))
            Assert.Equal(HttpStatusCode.Unauthorized, pull.StatusCode);
        using (var pull = await _access.Registry(null).GetAsync($"/v2/{ns}/app/blobs/{image.Layer}"))
            Assert.Equal(HttpStatusCode.Unauthorized, pull.StatusCode);
        Assert.Empty(await _access.AuditAsync(action: "namespace.public", repository: null, principal: maintainer.User));
    }

    [Fact]
    public async Task EveryRouteWithANameOrId_RefusesPrincipalsOfOtherNamespacesAndUsers()
    {
        // Team A: alice (maintainer) and a robot; team B: bob (maintainer, with a token and a binding) and a robot.
        string a = AccessServer.Unique("teama"), b = AccessServer.Unique("teamb");
        var alice = await _access.CreateUserWithRoleAsync(AccessServer.Unique("alice"), "maintainer", $"{a}/**");
        var aliceBot = await _access.CreateRobotAsync(AccessServer.Unique("abot"), ("admin", $"{a}/**"));
        var bob = await _access.CreateUserAsync(AccessServer.Unique("bob"));
        long bobBinding = await _access.BindAsync(bob.User, "maintainer", $"{b}/**");
        var bobBot = await _access.CreateRobotAsync(AccessServer.Unique("bbot"), ("developer", $"{b}/**"));
        var (bobTokenId, bobToken) = await _access.CreateAccessTokenAsync(bob, "bob-ci");
        var (aliceTokenId, _) = await _access.CreateAccessTokenAsync(alice, "alice-ci");
        string usersBefore = Snapshot(await AllUsersAsync()), bindingsBefore = Snapshot(await AllBindingsAsync());
        var robotsBefore = await RobotNamesAsync();
        string bobBotBare = bobBot.User["robot$".Length..];

        foreach (var attacker in new[] { alice, aliceBot })
        {
            var api = _access.Api(attacker);
            var attempts = new (string What, Func<Task<HttpResponseMessage>> Send, HttpStatusCode[] Allowed)[]
            {
                ("PATCH users/bob password", () => api.PatchAsJsonAsync($"/api/v1/users/{bob.User}", new { password = "hijacked-password-1" }), [HttpStatusCode.Forbidden]),
                ("PATCH users/bob password+current", () => api.PatchAsJsonAsync($"/api/v1/users/{bob.User}", new { password = "hijacked-password-1", currentPassword = attacker.Secret }), [HttpStatusCode.Forbidden]),
                ("PATCH users/bob admin", () => api.PatchAsJsonAsync($"/api/v1/users/{bob.User}", new { admin = true }), [HttpStatusCode.Forbidden]),
                ("PATCH users/<unknown>", () => api.PatchAsJsonAsync($"/api/v1/users/{AccessServer.Unique("ghost")}", new { password = "hijacked-password-1" }), [HttpStatusCode.Forbidden]), // same as an existing user: no enumeration
                ("DELETE users/bob", () => api.DeleteAsync($"/api/v1/users/{bob.User}"), [HttpStatusCode.Forbidden]),
                ("DELETE users/admin", () => api.DeleteAsync("/api/v1/users/admin"), [HttpStatusCode.Forbidden]),
                ("DELETE robots/robot$bbot", () => api.DeleteAsync($"/api/v1/robots/{Uri.EscapeDataString(bobBot.User)}"), [HttpStatusCode.Forbidden]),
                ("DELETE robots/bbot", () => api.DeleteAsync($"/api/v1/robots/{bobBotBare}"), [HttpStatusCode.Forbidden]),
                ("DELETE tokens/<bob's>", () => api.DeleteAsync($"/api/v1/tokens/{bobTokenId}"), [HttpStatusCode.Forbidden, HttpStatusCode.NotFound]),
                ("DELETE bindings/<bob's>", () => api.DeleteAsync($"/api/v1/bindings/{bobBinding}"), [HttpStatusCode.Forbidden]),
                ("GET users", () => api.GetAsync("/api/v1/users"), [HttpStatusCode.Forbidden]),
                ("GET robots", () => api.GetAsync("/api/v1/robots"), [HttpStatusCode.Forbidden]),
            };
            foreach (var (what, send, allowed) in attempts)
            {
                using var response = await send();
                await AssertRefusedAsync(response, $"{attacker.User}: {what}", allowed);
            }

            // Lists show only the caller's own things.
            using (var list = await api.GetAsync("/api/v1/bindings"))
            {
                var own = (await AccessServer.ExpectAsync(list, HttpStatusCode.OK, "own bindings")).AsArray();
                Assert.All(own, x => Assert.Equal(attacker.User, x!["principal"]!.GetValue<string>()));
                Assert.DoesNotContain(own, x => x!["id"]!.GetValue<long>() == bobBinding);
            }
            if (attacker == alice)
            {
                using var list = await api.GetAsync("/api/v1/tokens");
                var own = (await AccessServer.ExpectAsync(list, HttpStatusCode.OK, "own tokens")).AsArray();
                Assert.Equal([aliceTokenId], own.Select(x => x!["id"]!.GetValue<long>()));
            }
        }

        // Nothing changed: bob's password, token and binding work, his robot exists, the lists are the same.
        Assert.True(await WorksAsync(bob), "bob's password changed");
        Assert.True(await WorksAsync(bob with { Secret = bobToken }), "bob's token was revoked");
        Assert.True(await WorksAsync(bobBot), "bob's robot was deleted");
        Assert.Equal(usersBefore, Snapshot(await AllUsersAsync()));
        Assert.Equal(bindingsBefore, Snapshot(await AllBindingsAsync()));
        Assert.Equal(robotsBefore, await RobotNamesAsync());
        var bobMe = await MeAsync(bob);
        Assert.False(bobMe["admin"]!.GetValue<bool>());
        Assert.Contains(bobMe["bindings"]!.AsArray(), x => x!["namespace"]!.GetValue<string>() == $"{b}/**");

        // Audited: the refusals, under the attackers' names; no change events by them.
        foreach (var attacker in new[] { alice, aliceBot })
        {
            var denied = await _access.AssertAuditedAsync(attacker.User, "access.denied", "denied");
            Assert.Contains(denied, e => e.Reference == $"/api/v1/users/{bob.User}");
            Assert.Contains(denied, e => e.Reference == $"/api/v1/bindings/{bobBinding}");
            foreach (string action in new[] { "user.update", "user.delete", "robot.delete", "token.delete", "binding.delete" })
                Assert.Empty(await _access.AuditAsync(principal: attacker.User, action: action));
        }
    }

    [Fact]
    public async Task OwnPasswordChange_NeedsTheCurrentPassword_AndIsAudited()
    {
        var carol = await _access.CreateUserAsync(AccessServer.Unique("carol"));
        var api = _access.Api(carol);
        using (var wrong = await api.PatchAsJsonAsync($"/api/v1/users/{carol.User}", new { password = "another-password-1", currentPassword = "not-the-password" }))
            await AssertRefusedAsync(wrong, "wrong current password", HttpStatusCode.Forbidden);
        using (var missing = await api.PatchAsJsonAsync($"/api/v1/users/{carol.User}", new { password = "another-password-1" }))
            await AssertRefusedAsync(missing, "no current password", HttpStatusCode.Forbidden);
        Assert.True(await WorksAsync(carol));

        using (var right = await api.PatchAsJsonAsync($"/api/v1/users/{carol.User}", new { password = "another-password-1", currentPassword = carol.Secret }))
            Assert.Equal(HttpStatusCode.NoContent, right.StatusCode);
        Assert.False(await WorksAsync(carol));
        Assert.True(await WorksAsync(carol with { Secret = "another-password-1" }));
        await _access.AssertAuditedAsync(carol.User, "user.update", "success", where: e => e.Reference == carol.User && e.Detail == "password");
    }
}
