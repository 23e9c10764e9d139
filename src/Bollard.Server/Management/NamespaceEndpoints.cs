using Bollard.Core.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>/api/v1/namespaces/public</c>: the namespace patterns open to anonymous pull.</summary>
internal static class NamespaceEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/namespaces/public", async (IdentityService ids, HttpContext http) =>
            Results.Ok(new PublicNamespaces(await ids.ListPublicNamespacesAsync(http.RequestAborted))))
            .WithSummary("Namespace patterns open to anonymous pull");

        api.MapPut("/namespaces/public", async (HttpContext http, PublicNamespaceRequest body, IdentityService ids) =>
        {
            await ids.SetPublicAsync(await ManagementApi.CallerAsync(http), body.Namespace ?? "", body.Public, http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Open or close a namespace pattern to anonymous pull (admin)");
    }
}
