using Bollard.Core.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>/api/v1/repositories</c>: delete a repository (namespace maintainers and admins).</summary>
internal static class RepositoryEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapDelete("/repositories/{**name}", async (HttpContext http, string name, RepositoryManagement repositories) =>
        {
            var deleted = await repositories.DeleteAsync(await ManagementApi.CallerAsync(http), name, http.RequestAborted);
            return Results.Ok(new RepositoryDeletedView(name, deleted.Tags, deleted.Manifests, deleted.Blobs, deleted.Uploads));
        }).WithSummary("Delete a repository: its tags, manifests, referrers, blob links and uploads in progress; GC then frees unshared bytes (maintainer of the namespace, admin)");
    }
}
