using Bollard.Core.Usage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>GET /api/v1/usage</c>: storage usage per namespace (and of the whole registry for admins).</summary>
internal static class UsageEndpoints
{
    public static void Map(RouteGroupBuilder api) =>
        api.MapGet("/usage", async (HttpContext http, UsageService usage) =>
        {
            var (registry, namespaces) = await usage.OverviewAsync(await ManagementApi.CallerAsync(http), http.RequestAborted);
            return Results.Ok(new UsageOverview(registry is null ? null : UsageView.Of(registry),
                namespaces.Select(n => new NamespaceUsageView(n.Namespace, n.Usage.TotalBytes, n.Usage.UniqueBytes, n.Usage.ManifestBytes, n.Usage.Manifests, n.Usage.Blobs)).ToList()));
        }).WithSummary("Storage usage per namespace (first path component): total and unique bytes; the registry total for admins");
}
