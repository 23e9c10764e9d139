using System.Net;
using System.Text.Json;

namespace Bollard.IntegrationTests.Auth.Access;

public sealed class BasicOnRegistryAndOpenApiTests
{
    [Fact]
    public async Task BasicOnRegistry_Off_BasicCredentialsOnV2_Get401WithBearerChallenge()
    {
        await using var server = await AuthTokenSupport.StartAsync();
        using var response = await AuthTokenSupport.SendAsync(server, HttpMethod.Get, "/v2/", AuthTokenSupport.AdminBasic);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Bearer realm=", AuthTokenSupport.Challenge(response));
    }

    [Fact]
    public async Task BasicOnRegistry_On_RightsApplyPerRequest_AndWrongPasswordIs401()
    {
        await using var server = await AuthTokenSupport.StartAsync(new Dictionary<string, string?> { ["Auth:AllowBasicOnRegistry"] = "true" });
        string repo = AuthTokenSupport.UniqueName("basic") + "/app";
        await AuthTokenSupport.CreateUserAsync(server, "reader1");
        await AuthTokenSupport.BindAsync(server, "reader1", "reader", repo);

        // The admin pushes with Basic credentials on every request, no token dance.
        using (var admin = AuthTokenSupport.ClientWith(server, AuthTokenSupport.AdminBasic))
            await admin.PushImageAsync(repo, "v1", layers: 1);

        var reader = AuthTokenSupport.Basic("reader1", AuthTokenSupport.UserPassword);
        using (var pull = await AuthTokenSupport.SendAsync(server, HttpMethod.Get, $"/v2/{repo}/tags/list", reader))
            Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        using (var push = await AuthTokenSupport.SendAsync(server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", reader))
        {
            Assert.Equal(HttpStatusCode.Forbidden, push.StatusCode);
            Assert.Equal("DENIED", await push.ErrorCodeAsync());
        }
        using (var wrong = await AuthTokenSupport.SendAsync(server, HttpMethod.Get, $"/v2/{repo}/tags/list", AuthTokenSupport.Basic("reader1", "not-the-password")))
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheManagementApi()
    {
        await using var server = await AuthTokenSupport.StartAsync();
        using var response = await server.Client.GetAsync("/api/v1/openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("3.", doc.RootElement.GetProperty("openapi").GetString());
        var paths = doc.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/api/v1/users", "/api/v1/users/{name}", "/api/v1/robots", "/api/v1/robots/{name}", "/api/v1/tokens",
                     "/api/v1/tokens/{id}", "/api/v1/bindings", "/api/v1/bindings/{id}", "/api/v1/namespaces/public", "/api/v1/audit", "/api/v1/me",
                     "/api/v1/token-keys/rotate" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
        Assert.True(paths.GetProperty("/api/v1/robots").TryGetProperty("post", out var post));
        Assert.Contains("secret", post.GetProperty("summary").GetString(), StringComparison.OrdinalIgnoreCase);
    }
}
