using Bollard.Core.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>/api/v1/tokens</c>: the caller's own personal access tokens.</summary>
internal static class AccessTokenEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/tokens", async (HttpContext http, CreateTokenRequest body, IdentityService ids) =>
        {
            var expires = ManagementParse.ExpiresIn(body.ExpiresIn);
            var (token, secret) = await ids.CreateAccessTokenAsync(await ManagementApi.CallerAsync(http), body.Name ?? "", expires, http.RequestAborted);
            http.Response.Headers.CacheControl = "no-store";
            return Results.Created($"/api/v1/tokens/{token.Id}", new TokenCreated(token.Id, token.Name, secret, token.ExpiresAt));
        }).WithSummary("Create a personal access token for yourself; usable as a password; shown once");

        api.MapGet("/tokens", async (HttpContext http, IdentityService ids) =>
            Results.Ok((await ids.ListAccessTokensAsync(await ManagementApi.CallerAsync(http), http.RequestAborted)).Select(t => new TokenView(t.Id, t.Name, t.ExpiresAt, t.CreatedAt)).ToList()))
            .WithSummary("List your personal access tokens");

        api.MapDelete("/tokens/{id}", async (HttpContext http, string id, IdentityService ids) =>
        {
            await ids.DeleteAccessTokenAsync(await ManagementApi.CallerAsync(http), ManagementParse.Id(id), http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Revoke one of your personal access tokens");
    }
}
