using Bollard.Core.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>/api/v1/robots</c>.</summary>
internal static class RobotEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/robots", async (HttpContext http, CreateRobotRequest body, IdentityService ids) =>
        {
            var expires = ManagementParse.ExpiresIn(body.ExpiresIn);
            var bindings = (body.Bindings ?? []).Select(b => (ManagementParse.Role(b.Role), b.Namespace ?? "")).ToList();
            var (robot, secret) = await ids.CreateRobotAsync(await ManagementApi.CallerAsync(http), body.Name ?? "", body.Description ?? "", expires, bindings, http.RequestAborted);
            http.Response.Headers.CacheControl = "no-store";
            return Results.Created($"/api/v1/robots/{robot.Name}", new RobotCreated(robot.Name, secret, robot.ExpiresAt));
        }).WithSummary("Create a robot account; the secret is in this response only (admin)");

        api.MapGet("/robots", async (HttpContext http, IdentityService ids, TimeProvider time) =>
            Results.Ok((await ids.ListRobotsAsync(await ManagementApi.CallerAsync(http), http.RequestAborted))
                .Select(r => new RobotView(r.Name, r.Description, r.ExpiresAt, r.CreatedBy, r.CreatedAt, r.ExpiresAt <= time.GetUtcNow())).ToList()))
            .WithSummary("List robot accounts (admin)");

        api.MapDelete("/robots/{name}", async (HttpContext http, string name, IdentityService ids) =>
        {
            await ids.DeleteRobotAsync(await ManagementApi.CallerAsync(http), name, http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Delete a robot account; its tokens stop working at once (admin)");
    }
}
