using Bollard.Core.Immutability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>/api/v1/immutability</c>: tag immutability rules (admin; see <see cref="ImmutabilityService"/>).</summary>
internal static class ImmutabilityEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/immutability", async (HttpContext http, ImmutabilityRuleRequest body, ImmutabilityService rules) =>
        {
            var rule = await rules.AddAsync(await ManagementApi.CallerAsync(http), body.Namespace, body.Tag, http.RequestAborted);
            return Results.Created($"/api/v1/immutability/{rule.Id}", View(rule));
        }).WithSummary("Make tags matching a pattern immutable in repositories matching a namespace pattern (admin)");

        api.MapGet("/immutability", async (HttpContext http, ImmutabilityService rules) =>
            Results.Ok((await rules.ListAsync(await ManagementApi.CallerAsync(http), http.RequestAborted)).Select(View).ToList()))
            .WithSummary("List immutability rules (admin)");

        api.MapDelete("/immutability/{id}", async (HttpContext http, string id, ImmutabilityService rules) =>
        {
            await rules.RemoveAsync(await ManagementApi.CallerAsync(http), ManagementParse.Id(id), http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Remove an immutability rule: its tags may be moved and deleted again (admin)");
    }

    private static ImmutabilityRuleView View(ImmutabilityRule r) => new(r.Id, r.Namespace.Value, r.Tag.Value, r.CreatedBy, r.CreatedAt);
}
