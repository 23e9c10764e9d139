using Bollard.Core.Auth;
using Bollard.Core.Gc;
using Bollard.Core.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>/api/v1/gc</c>: start (or dry-run), list, show and cancel garbage-collection runs (admin only).</summary>
internal static class GcEndpoints
{
    private const int MaxItems = 1000;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/gc", async (HttpContext http, GcService gc) =>
        {
            var caller = await AdminAsync(http);
            bool dryRun = ManagementParse.Optional(http.Request.Query["dryRun"]) is { } d && Flag(d);
            var (status, created) = await gc.StartAsync(dryRun, caller.Principal.Name, http.RequestAborted);
            var view = GcRunView.From(status, created: created);
            // 202: a new run is queued; 200: the run already queued or running (at most one at a time).
            return created ? Results.Accepted($"/api/v1/gc/{status.Job.Id}", view) : Results.Ok(view);
        }).WithSummary("Start a GC run (?dryRun=true lists what it would remove); answers with the run already queued or running if there is one (admin)");

        api.MapGet("/gc", async (HttpContext http, GcService gc) =>
        {
            await AdminAsync(http);
            var runs = (await gc.ListAsync(20, http.RequestAborted)).Select(s => GcRunView.From(s)).ToList();
            var current = runs.FirstOrDefault(r => r.State is nameof(JobState.Queued) or nameof(JobState.Running));
            return Results.Ok(new GcRunList(current, runs));
        }).WithSummary("The current GC run and the last ones, newest first (admin)");

        api.MapGet("/gc/{id}", async (HttpContext http, string id, GcService gc) =>
        {
            await AdminAsync(http);
            var q = http.Request.Query;
            int offset = ManagementParse.Optional(q["offset"]) is { } o ? (int)Math.Min(ManagementParse.Id(o), int.MaxValue) : 0;
            int limit = ManagementParse.Optional(q["limit"]) is { } l ? (int)Math.Min(ManagementParse.Id(l), MaxItems) : MaxItems;
            var status = await gc.GetAsync(ManagementParse.Id(id), offset, limit, http.RequestAborted)
                ?? throw new ManagementException(ManagementError.NotFound, $"no GC run {id}");
            return Results.Ok(GcRunView.From(status, withItems: true));
        }).WithSummary("One GC run with what it removed (or would remove) and skipped; page the items with ?offset=&limit= (at most 1000) (admin)");

        api.MapDelete("/gc/{id}", (HttpContext http, string id, GcService gc) => CancelAsync(http, id, gc))
            .WithSummary("Cancel a GC run; a running one stops at its next lease renewal (admin)");
        api.MapPost("/gc/{id}/cancel", (HttpContext http, string id, GcService gc) => CancelAsync(http, id, gc))
            .WithSummary("Cancel a GC run (same as DELETE) (admin)");
    }

    private static async Task<IResult> CancelAsync(HttpContext http, string id, GcService gc)
    {
        await AdminAsync(http);
        var result = await gc.CancelAsync(ManagementParse.Id(id), http.RequestAborted)
            ?? throw new ManagementException(ManagementError.NotFound, $"no GC run {id}");
        if (!result.Cancelled && result.Status.Job.State is not (JobState.Cancelled))
            throw new ManagementException(ManagementError.Conflict, $"GC run {id} already ended ({result.Status.Job.State})");
        return Results.Ok(GcRunView.From(result.Status));
    }

    private static async Task<RegistryCaller> AdminAsync(HttpContext http)
    {
        var caller = await ManagementApi.CallerAsync(http);
        IdentityService.RequireAdmin(caller);
        return caller;
    }

    private static bool Flag(string value) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new ManagementException(ManagementError.BadRequest, $"dryRun must be true or false, not '{value}'"),
    };
}
