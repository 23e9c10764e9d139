using System.Net;

namespace Bollard.IntegrationTests.Auth.Tokens;

/// <summary>A token names its subject: it must not pass to a later user or robot that reuses the name.</summary>
public sealed class NameReuseTests
{
    [Fact]
    public async Task RobotRecreatedWithSameName_EarlierTokenIsRefused()
    {
        await using var server = await AuthTokenSupport.StartAsync();
        string repo = AuthTokenSupport.UniqueName("reuse") + "/app";
        await server.Client.PushImageAsyncAs(server, repo);

        string bare = AuthTokenSupport.UniqueName("ci");
        var (name, secret) = await AuthTokenSupport.CreateRobotAsync(server, bare, null, ("reader", repo));
        string token = await AuthTokenSupport.TokenAsync(server, AuthTokenSupport.Basic(name, secret), $"repository:{repo}:pull");
        using (var ok = await AuthTokenSupport.V2Async(server, HttpMethod.Get, $"/v2/{repo}/tags/list", token))
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        await AuthTokenSupport.AdminCallAsync(server, HttpMethod.Delete, $"/api/v1/robots/{bare}", null, HttpStatusCode.NoContent);
        await Task.Delay(TimeSpan.FromSeconds(2.2)); // token iat has second precision
        await AuthTokenSupport.CreateRobotAsync(server, bare, null, ("reader", repo));

        // The new robot has the same name and the same rights, but the token was issued to the old one.
        using var refused = await AuthTokenSupport.V2Async(server, HttpMethod.Get, $"/v2/{repo}/tags/list", token);
        await AuthTokenSupport.AssertUnauthorizedAsync(refused, "invalid_token");
    }
}

internal static class NameReuseSupport
{
    /// <summary>Pushes a small image as admin through the token protocol.</summary>
    public static async Task PushImageAsyncAs(this HttpClient _, BollardServer server, string repo)
    {
        string token = await AuthTokenSupport.AdminTokenAsync(server, $"repository:{repo}:pull,push");
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        client.DefaultRequestHeaders.Authorization = AuthTokenSupport.Bearer(token);
        await client.PushImageAsync(repo, "v1", layers: 1);
    }
}
