using System.Net;

namespace Bollard.IntegrationTests;

public sealed class SmokeTests
{
    [Fact]
    public async Task BaseEndpoint_Returns200WithApiVersionHeader()
    {
        await using var server = await BollardServer.StartAsync();
        using var response = await server.Client.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("registry/2.0", response.Headers.GetValues("Docker-Distribution-API-Version").Single());
    }

    [Fact]
    public async Task HealthAndReadiness_Answer200()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?> { ["Auth:Enabled"] = "true", ["Auth:AdminPassword"] = "admin-password-123" });
        using var health = await server.Client.GetAsync("/healthz");
        using var ready = await server.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PushedImage_CanBePulledBackByTag()
    {
        await using var server = await BollardServer.StartAsync();
        var (manifest, digest) = await server.Client.PushImageAsync("smoke/app", "v1");
        using var response = await server.Client.GetAsync("/v2/smoke/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(manifest, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
    }
}
