using System.Net;
using System.Text;

namespace Bollard.IntegrationTests.Auth.Tokens;

public sealed class TokenRequestLimitTests
{
    [Fact]
    public async Task PostForm_Oversized_IsRefusedWithOAuthError_NotA500()
    {
        await using var server = await AuthTokenSupport.StartAsync();
        var body = "grant_type=password&username=admin&password=" + new string('x', 200 * 1024);
        using var content = new StringContent(body, Encoding.ASCII, "application/x-www-form-urlencoded");
        using var response = await server.Client.PostAsync("/auth/token", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("invalid_request", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PostForm_NotAForm_Is400()
    {
        await using var server = await AuthTokenSupport.StartAsync();
        using var content = new StringContent("{\"grant_type\":\"password\"}", Encoding.UTF8, "application/json");
        using var response = await server.Client.PostAsync("/auth/token", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
