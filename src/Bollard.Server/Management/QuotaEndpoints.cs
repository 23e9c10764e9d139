using Bollard.Core.Usage.Quotas;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>/api/v1/quotas</c>: storage quotas per namespace pattern (admins).</summary>
internal static class QuotaEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/quotas", async (HttpContext http, QuotaService quotas) =>
            Results.Ok((await quotas.ListAsync(await ManagementApi.CallerAsync(http), http.RequestAborted)).Select(QuotaView.Of).ToList()))
            .WithSummary("List quotas with their usage (admin)");

        api.MapPut("/quotas/{**pattern}", async (HttpContext http, string pattern, QuotaRequest body, QuotaService quotas) =>
        {
            var (quota, created) = await quotas.SetAsync(await ManagementApi.CallerAsync(http), pattern, body.Limit, http.RequestAborted);
            return created ? Results.Created($"/api/v1/quotas/{quota.Pattern}", QuotaView.Of(quota)) : Results.Ok(QuotaView.Of(quota));
        }).WithSummary("Set or change the quota of a namespace pattern, e.g. PUT /api/v1/quotas/team-a/** {\"limit\":\"10GiB\"} (admin)");

        api.MapDelete("/quotas/{**pattern}", async (HttpContext http, string pattern, QuotaService quotas) =>
        {
            await quotas.RemoveAsync(await ManagementApi.CallerAsync(http), pattern, http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Remove the quota of a namespace pattern (admin)");
    }
}
