using System.Net;
using System.Text.Json.Nodes;
using static Bollard.IntegrationTests.Support.AuthTokenSupport;

namespace Bollard.IntegrationTests.Auth.Tokens;

/// <summary>Tokens outliving what they were issued for: deleted and expired robots, key rotation, restarts.</summary>
public sealed class TokenLifecycleTests(AuthTokenServerFixture fixture) : IClassFixture<AuthTokenServerFixture>
{
    private BollardServer Server => fixture.Server;

    private static async Task AssertUsableAsync(BollardServer server, string token, string repo)
    {
        using var tags = await V2Async(server, HttpMethod.Get, $"/v2/{repo}/tags/list", token);
        Assert.True(tags.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"token refused: {(int)tags.StatusCode} {await tags.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task DeletedRobot_TokenRefusedImmediately()
    {
        string name = UniqueName("ci");
        var (robot, secret) = await CreateRobotAsync(Server, name, "90d", ("developer", "team-a/**"));
        Assert.Equal("robot$" + name, robot);
        string repo = UniqueName("team-a/robot");
        string token = await TokenAsync(Server, Basic(robot, secret), $"repository:{repo}:pull,push");
        Assert.Equal(robot, (string?)JwtPayload(token)["sub"]);
        Assert.Equal($$"""[{"type":"repository","name":"{{repo}}","actions":["pull","push"]}]""", AccessClaim(token));
        await AssertUsableAsync(Server, token, repo);
        using (var start = await V2Async(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token))
            Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var refresh = JsonNode.Parse(await (await SendAsync(Server, HttpMethod.Get, TokenPath([$"repository:{repo}:pull"], extra: "offline_token=true"), Basic(robot, secret))).Content.ReadAsStringAsync())!["refresh_token"]!.ToString();

        await AdminCallAsync(Server, HttpMethod.Delete, $"/api/v1/robots/{name}", null, HttpStatusCode.NoContent);

        var uploadsBefore = Server.UploadFiles();
        using (var pull = await V2Async(Server, HttpMethod.Get, $"/v2/{repo}/tags/list", token))
            await AssertUnauthorizedAsync(pull, "invalid_token");
        using (var push = await V2Async(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token))
            await AssertUnauthorizedAsync(push, "invalid_token");
        await Server.AssertNoNewUploadFilesAsync(uploadsBefore);
        // Neither its secret nor its refresh token gets a new token.
        using (var login = await RequestTokenAsync(Server, Basic(robot, secret), $"repository:{repo}:pull"))
            Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        using (var refreshed = await PostTokenFormAsync(Server, ("grant_type", "refresh_token"), ("refresh_token", refresh), ("service", "bollard")))
            Assert.Equal(HttpStatusCode.Unauthorized, refreshed.StatusCode);

        var rejects = await AuditAsync(Server, $"action=token.reject&principal={Uri.EscapeDataString(robot)}");
        Assert.NotEmpty(rejects);
    }

    [Fact]
    public async Task DeletedRobot_RecreatedWithTheSameName_OldTokenGetsNoneOfTheOldRights()
    {
        // A token names its subject by name only, so it resolves to a new robot of the same name (until it
        // expires); but it is intersected with that robot's own rights, so the old robot's rights are gone.
        string name = UniqueName("ci");
        var (robot, secret) = await CreateRobotAsync(Server, name, null, ("developer", "team-a/**"));
        string repo = UniqueName("team-a/reborn");
        string token = await TokenAsync(Server, Basic(robot, secret), $"repository:{repo}:pull,push");
        await AdminCallAsync(Server, HttpMethod.Delete, $"/api/v1/robots/{name}", null, HttpStatusCode.NoContent);
        await CreateRobotAsync(Server, name, null, ("reader", "shared/**"));
        using var push = await V2Async(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token);
        await AssertRefusedAsync(push);
    }

    [Fact]
    public async Task ExpiredRobot_CannotLogIn_NorUseAnEarlierToken()
    {
        string name = UniqueName("short");
        var (robot, secret) = await CreateRobotAsync(Server, name, "1s", ("developer", "team-a/**"));
        string repo = UniqueName("team-a/expiring");
        // Right away (well within the second), the robot logs in and gets its rights.
        string token = await TokenAsync(Server, Basic(robot, secret), $"repository:{repo}:pull,push");
        Assert.Equal($$"""[{"type":"repository","name":"{{repo}}","actions":["pull","push"]}]""", AccessClaim(token));

        await Task.Delay(TimeSpan.FromSeconds(2));

        using (var login = await RequestTokenAsync(Server, Basic(robot, secret), $"repository:{repo}:pull"))
            Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        using (var pull = await V2Async(Server, HttpMethod.Get, $"/v2/{repo}/tags/list", token))
            await AssertUnauthorizedAsync(pull, "invalid_token");
        using (var push = await V2Async(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token))
            await AssertUnauthorizedAsync(push, "invalid_token");
        using (var me = await SendAsync(Server, HttpMethod.Get, "/api/v1/me", Basic(robot, secret)))
            Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        var robots = await AdminCallAsync(Server, HttpMethod.Get, "/api/v1/robots", null, HttpStatusCode.OK);
        Assert.True((bool)robots!.AsArray().Single(r => (string?)r!["name"] == robot)!["expired"]!);
    }

    [Fact]
    public async Task ExpiredPersonalAccessToken_CannotLogIn_EvenRightAfterASuccessfulLogin()
    {
        string user = UniqueName("erin");
        await CreateUserAsync(Server, user);
        await BindAsync(Server, user, "reader", "shared/**");
        using var create = await SendAsync(Server, HttpMethod.Post, "/api/v1/tokens", Basic(user, UserPassword),
            new StringContent("""{"name":"ci","expiresIn":"1s"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        string pat = (string)JsonNode.Parse(await create.Content.ReadAsStringAsync())!["token"]!;
        // A successful login now (remembered for a while by the server) ...
        await TokenAsync(Server, Basic(user, pat), "repository:shared/lib:pull");
        await Task.Delay(TimeSpan.FromSeconds(2));
        // ... must not outlive the token's own expiry.
        using var login = await RequestTokenAsync(Server, Basic(user, pat), "repository:shared/lib:pull");
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
    }

    [Fact]
    public async Task RemovedBinding_TokenLosesTheRightAtOnce()
    {
        string user = UniqueName("dave");
        await CreateUserAsync(Server, user);
        var binding = await AdminCallAsync(Server, HttpMethod.Post, "/api/v1/bindings", new { principal = user, role = "developer", @namespace = "team-b/**" }, HttpStatusCode.Created);
        string repo = UniqueName("team-b/app");
        string token = await TokenAsync(Server, Basic(user, UserPassword), $"repository:{repo}:pull,push");
        using (var ok = await V2Async(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token))
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        await AdminCallAsync(Server, HttpMethod.Delete, $"/api/v1/bindings/{(long)binding!["id"]!}", null, HttpStatusCode.NoContent);
        using var refused = await V2Async(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token);
        await refused.AssertErrorAsync(HttpStatusCode.Forbidden, "DENIED");
    }
}

/// <summary>Signing key rotation and restarts (each test on its own server: rotation is server-wide).</summary>
public sealed class TokenKeyRotationTests
{
    [Fact]
    public async Task Rotate_OldTokensKeepWorking_NewTokensUseTheNewKey_AndBothSurviveARestart()
    {
        var settings = Settings();
        await using var server = await BollardServer.StartAsync(settings);
        await CreateUserAsync(server, "alice");
        await BindAsync(server, "alice", "developer", "team-a/**");
        string repo = UniqueName("team-a/rot");

        string before = await TokenAsync(server, Basic("alice", UserPassword), $"repository:{repo}:pull,push");
        string oldKid = (string)JwtHeader(before)["kid"]!;
        Assert.Equal(oldKid, Assert.Single(SigningKeys(server)).KeyId);

        var rotated = await AdminCallAsync(server, HttpMethod.Post, "/api/v1/token-keys/rotate", null, HttpStatusCode.OK);
        string newKid = (string)rotated!["keyId"]!;
        Assert.NotEqual(oldKid, newKid);

        string after = await TokenAsync(server, Basic("alice", UserPassword), $"repository:{repo}:pull,push");
        Assert.Equal(newKid, (string?)JwtHeader(after)["kid"]);
        foreach (string token in new[] { before, after })
        {
            using var start = await V2Async(server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token);
            Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        }

        var keys = SigningKeys(server);
        Assert.Equal(2, keys.Count);
        Assert.NotNull(keys.Single(k => k.KeyId == oldKid).RetiredAt);
        Assert.Null(keys.Single(k => k.KeyId == newKid).RetiredAt);
        var audit = await AuditAsync(server, "action=token-key.rotate");
        Assert.Contains(audit, e => (string?)e["detail"] == newKid && (string?)e["principal"] == "admin");

        // Keys live in the database: after a restart, tokens from before are still good, and signing goes on with the new key.
        await server.RestartAsync(settings);
        foreach (string token in new[] { before, after })
        {
            using var tags = await V2Async(server, HttpMethod.Get, $"/v2/{repo}/tags/list", token);
            Assert.True(tags.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{(int)tags.StatusCode} {await tags.Content.ReadAsStringAsync()}");
            using var start = await V2Async(server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token);
            Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        }
        string afterRestart = await TokenAsync(server, Basic("alice", UserPassword), $"repository:{repo}:pull");
        Assert.Equal(newKid, (string?)JwtHeader(afterRestart)["kid"]);
        Assert.Equal(2, SigningKeys(server).Count);
    }

    [Fact]
    public async Task Restart_WithoutRotation_KeepsTheKeyAndTheTokens()
    {
        var settings = Settings();
        await using var server = await BollardServer.StartAsync(settings);
        string token = await TokenAsync(server, AdminBasic, "repository:team-a/app:pull");
        string kid = (string)JwtHeader(token)["kid"]!;
        await server.RestartAsync(settings);
        using var tags = await V2Async(server, HttpMethod.Get, "/v2/team-a/app/tags/list", token);
        Assert.True(tags.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{(int)tags.StatusCode}");
        Assert.Equal(kid, (string?)JwtHeader(await TokenAsync(server, AdminBasic, "repository:team-a/app:pull"))["kid"]);
        Assert.Single(SigningKeys(server));
    }

    [Fact]
    public async Task Rotate_IsForAdminsOnly()
    {
        await using var server = await StartAsync();
        await CreateUserAsync(server, "alice");
        using var anonymous = await SendAsync(server, HttpMethod.Post, "/api/v1/token-keys/rotate", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var user = await SendAsync(server, HttpMethod.Post, "/api/v1/token-keys/rotate", Basic("alice", UserPassword));
        Assert.Equal(HttpStatusCode.Forbidden, user.StatusCode);
        await TokenAsync(server, AdminBasic);
        Assert.Single(SigningKeys(server));
    }
}
