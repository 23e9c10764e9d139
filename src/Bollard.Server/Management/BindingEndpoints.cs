using Bollard.Core.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>/api/v1/bindings</c>: role bindings of users and robots on namespace patterns.</summary>
internal static class BindingEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/bindings", async (HttpContext http, CreateBindingRequest body, IdentityService ids) =>
        {
            var b = await ids.AddBindingAsync(await ManagementApi.CallerAsync(http), body.Principal ?? "", ManagementParse.Role(body.Role), body.Namespace ?? "", http.RequestAborted);
            return Results.Created($"/api/v1/bindings/{b.Id}", View(b));
        }).WithSummary("Bind a role on a namespace pattern to a user or robot (admin)");

        api.MapGet("/bindings", async (HttpContext http, IdentityService ids) =>
            Results.Ok((await ids.ListBindingsAsync(await ManagementApi.CallerAsync(http), http.RequestAborted)).Select(View).ToList()))
            .WithSummary("List role bindings (admin: all; others: their own)");

        api.MapDelete("/bindings/{id}", async (HttpContext http, string id, IdentityService ids) =>
        {
            await ids.DeleteBindingAsync(await ManagementApi.CallerAsync(http), ManagementParse.Id(id), http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Remove a role binding (admin)");
    }

    private static BindingView View(RoleBindingRecord b) =>
        new(b.Id, b.PrincipalName, b.Kind.ToString().ToLowerInvariant(), b.Role.Name(), b.Pattern, b.CreatedAt);
}
