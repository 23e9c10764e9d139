using Bollard.Core.Scanning.Pipeline;
using Bollard.Scanning.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary>
/// <c>/api/v1/exceptions</c>: findings of an advisory hidden in a namespace pattern (optionally one image or package)
/// until they expire. Creating and deleting need the maintainer role on a namespace covering the pattern (or admin) and are audited.
/// </summary>
internal static class ExceptionEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/exceptions", async (HttpContext http, ScanExceptionRequest body, ScanService scans, TimeProvider time) =>
        {
            var e = await scans.AddExceptionAsync(await ManagementApi.CallerAsync(http), body.AdvisoryId, body.Namespace, body.ImageDigest, body.Package,
                body.Reason, body.Owner, body.ExpiresAt, http.RequestAborted);
            return Results.Created($"{ManagementApi.Prefix}/exceptions/{e.Id}", View(e, time.GetUtcNow()));
        }).WithSummary("Add an exception: an advisory hidden in a namespace pattern (and optionally one image digest or package) until expiresAt (maintainer of the namespace, admin)");

        api.MapGet("/exceptions", async (HttpContext http, ScanService scans, TimeProvider time) =>
        {
            var now = time.GetUtcNow();
            return Results.Ok((await scans.ListExceptionsAsync(await ManagementApi.CallerAsync(http), http.RequestAborted)).Select(e => View(e, now)).ToList());
        }).WithSummary("List exceptions, expired ones included (authenticated)");

        api.MapDelete("/exceptions/{id}", async (HttpContext http, string id, ScanService scans) =>
        {
            await scans.RemoveExceptionAsync(await ManagementApi.CallerAsync(http), ManagementParse.Id(id), http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Remove an exception (maintainer of the namespace, admin)");
    }

    private static ScanExceptionView View(ScanExceptionRule e, DateTimeOffset now) => new(
        e.Id, e.AdvisoryId, e.Namespace.Value, e.ImageDigest, e.Package, e.Reason, e.Owner, e.ExpiresAt, now >= e.ExpiresAt, e.CreatedBy, e.CreatedAt);
}
