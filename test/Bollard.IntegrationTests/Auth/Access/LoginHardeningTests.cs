using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Auth.Access;

/// <summary>
/// Issue 6, B3/B4/B8/B9/B12/B16/C8 over real HTTP. Client addresses other than 127.0.0.1 come from
/// <c>X-Forwarded-For</c>, with 127.0.0.1 as the trusted proxy.
/// </summary>
public sealed class LoginHardeningTests
{
    private static Task<AccessServer> StartAsync(Dictionary<string, string?> settings)
    {
        settings["Server:TrustedProxies"] = "127.0.0.1";
        return AccessServer.StartAsync(settings);
    }

    private static async Task<HttpStatusCode> TokenFromAsync(AccessServer access, string address, string user, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=bollard&scope=repository:hard/app:pull");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", new AccessCreds(user, secret).BasicHeader);
        request.Headers.Add("X-Forwarded-For", address);
        using var response = await access.Raw().SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task WrongSecretsFromStrangers_NeverLockOutTheRightSecret_FromAnAddressThatNeverFailed()
    {
        await using var access = await StartAsync(new Dictionary<string, string?>
        {
            ["Auth:MaxFailuresPerAccount"] = "3",
            ["Auth:MaxFailuresPerAddress"] = "1000",
            ["Auth:SlowLoginDelay"] = "00:00:00",
        });
        var victim = await access.CreateUserAsync(AccessServer.Unique("victim"));
        var robot = await access.CreateRobotAsync(AccessServer.Unique("ci"), ("reader", "hard/**"));

        foreach (var who in new[] { victim, robot })
        {
            // Ten wrong secrets from one address (refused from the fourth on), and more from others.
            var statuses = new List<HttpStatusCode>();
            for (int i = 0; i < 10; i++) statuses.Add(await TokenFromAsync(access, "198.51.100.9", who.User, $"wrong-{i}"));
            Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], statuses.Take(3));
            Assert.All(statuses.Skip(3), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
            for (int i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.Unauthorized, await TokenFromAsync(access, $"203.0.113.{i}", who.User, "wrong"));
            // Upper case is another account (as in the store): it does not count against this one.
            for (int i = 0; i < 5; i++) await TokenFromAsync(access, "192.0.2.1", who.User.ToUpperInvariant(), "wrong");

            // The right secret from an address that never failed works at once; the attacker's address stays refused.
            Assert.Equal(HttpStatusCode.OK, await TokenFromAsync(access, "192.0.2.1", who.User, who.Secret));
            Assert.Equal(HttpStatusCode.OK, await TokenFromAsync(access, "10.1.2.3", who.User, who.Secret));
            Assert.Equal(HttpStatusCode.TooManyRequests, await TokenFromAsync(access, "198.51.100.9", who.User, who.Secret));
        }
    }

    [Fact]
    public async Task PasswordHashingFlood_IsRefusedQuickly_AndALegitimateLoginStillSucceeds()
    {
        await using var access = await StartAsync(new Dictionary<string, string?>
        {
            ["Auth:PasswordIterations"] = "600000",
            ["Auth:MaxConcurrentPasswordHashes"] = "1",
            ["Auth:MaxQueuedPasswordHashes"] = "0",
            ["Auth:MaxFailuresPerAccount"] = "1000",
            ["Auth:MaxFailuresPerAddress"] = "1000",
        });
        var user = await access.CreateUserAsync(AccessServer.Unique("legit"));

        // Random names from many addresses at once: at most one hash runs, the rest is refused with Retry-After.
        var flood = Enumerable.Range(0, 24).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=bollard");
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", new AccessCreds($"nobody-{Guid.NewGuid():N}", "guess").BasicHeader);
            request.Headers.Add("X-Forwarded-For", $"2001:db8:{i:x}::1");
            using var response = await access.Raw().SendAsync(request);
            return (response.StatusCode, response.Headers.RetryAfter?.Delta);
        }).ToList();
        var answers = await Task.WhenAll(flood);
        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"{a.StatusCode}"));
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.TooManyRequests && a.Delta > TimeSpan.Zero);

        Assert.Equal(HttpStatusCode.OK, await TokenFromAsync(access, "10.9.9.9", user.User, user.Secret));
    }

    [Fact]
    public async Task CurrentPasswordGuesses_GoThroughTheLoginThrottle()
    {
        await using var access = await StartAsync(new Dictionary<string, string?>
        {
            ["Auth:MaxFailuresPerAccount"] = "3",
            ["Auth:MaxFailuresPerAddress"] = "1000",
        });
        var carol = await access.CreateUserAsync(AccessServer.Unique("carol"));
        var (_, pat) = await access.CreateAccessTokenAsync(carol, "stolen");
        var api = access.Api(carol with { Secret = pat });
        for (int i = 0; i < 3; i++)
        {
            using var wrong = await api.PatchAsJsonAsync($"/api/v1/users/{carol.User}", new { password = "taken-over-password", currentPassword = $"guess-{i}" });
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        }
        using var throttled = await api.PatchAsJsonAsync($"/api/v1/users/{carol.User}", new { password = "taken-over-password", currentPassword = carol.Secret });
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.True(throttled.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("TOO_MANY_REQUESTS", await AccessServer.ApiErrorCodeAsync(throttled));
        var failures = await access.AssertAuditedAsync(carol.User, "login", "failure");
        Assert.Equal(3, failures.Sum(e => e.Count));
    }

    [Fact]
    public async Task AnExpiringToken_CannotMakeOneThatOutlivesIt_NorChangeThePassword()
    {
        await using var access = await AccessServer.StartAsync();
        var ops = await access.CreateUserAsync(AccessServer.Unique("ops"), admin: true);
        using var made = await access.Api(ops).PostAsJsonAsync("/api/v1/tokens", new { name = "short", expiresIn = "1h" });
        var body = await AccessServer.ExpectAsync(made, HttpStatusCode.Created, "short token");
        var shortToken = ops with { Secret = body["token"]!.GetValue<string>() };
        var expires = body["expiresAt"]!.GetValue<DateTimeOffset>();
        var api = access.Api(shortToken);

        using (var forever = await api.PostAsJsonAsync("/api/v1/tokens", new { name = "forever" }))
        {
            var child = await AccessServer.ExpectAsync(forever, HttpStatusCode.Created, "token made with a token");
            Assert.NotNull(child["expiresAt"]);
            var childExpires = child["expiresAt"]!.GetValue<DateTimeOffset>();
            Assert.True(childExpires <= expires, $"{childExpires} is after {expires}");
        }
        using (var longer = await api.PostAsJsonAsync("/api/v1/tokens", new { name = "longer", expiresIn = "30d" }))
            Assert.Equal(HttpStatusCode.BadRequest, longer.StatusCode);

        // Not even an admin's token may change that admin's password without the password.
        using (var takeover = await api.PatchAsJsonAsync($"/api/v1/users/{ops.User}", new { password = "taken-over-password" }))
            Assert.Equal(HttpStatusCode.Forbidden, takeover.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await access.RequestTokenAsync(ops, "repository:hard/app:pull")).StatusCode);
        using (var withPassword = await api.PatchAsJsonAsync($"/api/v1/users/{ops.User}", new { password = "a-new-password-1", currentPassword = ops.Secret }))
            Assert.Equal(HttpStatusCode.NoContent, withPassword.StatusCode);
    }

    private static async Task<string> RefreshTokenAsync(AccessServer access, AccessCreds creds)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=bollard&offline_token=true");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", creds.BasicHeader);
        using var response = await access.Raw().SendAsync(request);
        var body = await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "offline token");
        return body["refresh_token"]!.GetValue<string>();
    }

    private static async Task<(HttpStatusCode Status, string? Replacement)> RefreshAsync(AccessServer access, string refresh)
    {
        using var response = await access.Raw().PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = refresh, ["service"] = "bollard",
        }));
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.IsSuccessStatusCode ? JsonNode.Parse(text)!["refresh_token"]?.GetValue<string>() : null);
    }

    [Fact]
    public async Task RefreshTokens_DieWithTheirCredential_AndAreRotatedOnUse()
    {
        await using var access = await AccessServer.StartAsync(new Dictionary<string, string?> { ["Auth:RotateRefreshTokens"] = "true" });
        var erin = await access.CreateUserAsync(AccessServer.Unique("erin"));
        var (patId, pat) = await access.CreateAccessTokenAsync(erin, "laptop");
        string byPassword = await RefreshTokenAsync(access, erin);
        string byToken = await RefreshTokenAsync(access, erin with { Secret = pat });

        // Rotation: the answer carries a replacement; the used token, shown again, is refused and takes its family along.
        var (status, rotated) = await RefreshAsync(access, byPassword);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotNull(rotated);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(access, byPassword)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(access, rotated)).Status);
        await access.AssertAuditedAsync(erin.User, "login", "failure", where: e => e.Detail?.Contains("used twice", StringComparison.Ordinal) == true);

        // Revoking the personal access token revokes what it obtained, and only that.
        byPassword = await RefreshTokenAsync(access, erin);
        using (var revoke = await access.Api(erin).DeleteAsync($"/api/v1/tokens/{patId}"))
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(access, byToken)).Status);
        (status, rotated) = await RefreshAsync(access, byPassword);
        Assert.Equal(HttpStatusCode.OK, status);

        // A password change revokes what the old password obtained.
        using (var change = await access.Api(erin).PatchAsJsonAsync($"/api/v1/users/{erin.User}", new { password = "erins-new-password", currentPassword = erin.Secret }))
            Assert.Equal(HttpStatusCode.NoContent, change.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(access, rotated!)).Status);
    }

    [Fact]
    public async Task RefreshTokens_ByDefault_AreReusableLikeDockersIdentityToken_AndStillDieWithThePassword()
    {
        await using var access = await AccessServer.StartAsync();
        var frank = await access.CreateUserAsync(AccessServer.Unique("frank"));
        string refresh = await RefreshTokenAsync(access, frank);
        // docker sends the refresh token it stored at login on every pull, and never stores a replacement.
        for (int pull = 0; pull < 3; pull++)
        {
            var (status, replacement) = await RefreshAsync(access, refresh);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Null(replacement);
        }
        using (var change = await access.Api(frank).PatchAsJsonAsync($"/api/v1/users/{frank.User}", new { password = "franks-new-password", currentPassword = frank.Secret }))
            Assert.Equal(HttpStatusCode.NoContent, change.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(access, refresh)).Status);
    }

    [Fact]
    public async Task TooManyScopes_AreRefusedAtIssue_WithAnOAuthError()
    {
        await using var access = await AccessServer.StartAsync();
        var user = await access.CreateUserAsync(AccessServer.Unique("scopes"));
        string scopes = string.Join(' ', Enumerable.Range(0, 400).Select(i => $"repository:many/repo-{i}:pull,push"));
        using var response = await access.Raw().PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = user.User, ["password"] = user.Secret, ["service"] = "bollard", ["scope"] = scopes,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("invalid_scope", error["error"]!.GetValue<string>());
        Assert.Contains("at most", error["error_description"]!.GetValue<string>(), StringComparison.Ordinal);

        // A normal request still works.
        Assert.Equal(HttpStatusCode.OK, (await access.RequestTokenAsync(user, "repository:many/repo-1:pull", "repository:many/repo-2:pull")).StatusCode);
    }

    [Fact]
    public async Task AuditQuery_UnknownOutcome_400_AndADuplicateBindingIsNotAuditedTwice()
    {
        await using var access = await AccessServer.StartAsync();
        using (var nope = await access.AdminApi.GetAsync("/api/v1/audit?outcome=nope"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, nope.StatusCode);
            Assert.Equal("BAD_REQUEST", await AccessServer.ApiErrorCodeAsync(nope));
        }
        var user = await access.CreateUserAsync(AccessServer.Unique("dup"));
        long first = await access.BindAsync(user.User, "reader", "dup/**");
        long again = await access.BindAsync(user.User, "reader", "dup/**");
        Assert.Equal(first, again);
        Assert.Single(await access.AuditAsync(action: "binding.create"), e => e.Reference == user.User);
    }
}
