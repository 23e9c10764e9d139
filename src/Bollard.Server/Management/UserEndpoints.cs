using Bollard.Core.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>/api/v1/users</c>.</summary>
internal static class UserEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/users", async (HttpContext http, CreateUserRequest body, IdentityService ids) =>
        {
            var user = await ids.CreateUserAsync(await ManagementApi.CallerAsync(http), body.Name ?? "", body.Password ?? "", body.Admin, http.RequestAborted);
            return Results.Created($"/api/v1/users/{user.Name}", new UserView(user.Name, user.IsAdmin, user.CreatedAt));
        }).WithSummary("Create a user (admin)");

        api.MapGet("/users", async (HttpContext http, IdentityService ids) =>
            Results.Ok((await ids.ListUsersAsync(await ManagementApi.CallerAsync(http), http.RequestAborted)).Select(u => new UserView(u.Name, u.IsAdmin, u.CreatedAt)).ToList()))
            .WithSummary("List users (admin)");

        api.MapMethods("/users/{name}", ["PATCH"], async (HttpContext http, string name, UpdateUserRequest body, IdentityService ids) =>
        {
            await ids.UpdateUserAsync(await ManagementApi.CallerAsync(http), name, body.Password, body.CurrentPassword, body.Admin, http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Change a password (yourself, with the current one) or admin rights (admin)");

        api.MapDelete("/users/{name}", async (HttpContext http, string name, IdentityService ids) =>
        {
            await ids.DeleteUserAsync(await ManagementApi.CallerAsync(http), name, http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Delete a user with their tokens and role bindings (admin)");
    }
}
