using Bollard.Core.Registry;
using Bollard.Core.Usage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>/api/v1/repositories</c>: a repository's usage, and delete (namespace maintainers and admins).</summary>
internal static class RepositoryEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/repositories/{**name}", async (HttpContext http, string name, UsageService usage) =>
        {
            var (repository, u, quotas) = await usage.RepositoryAsync(await ManagementApi.CallerAsync(http), name, http.RequestAborted);
            return Results.Ok(new RepositoryView(repository.Value, UsageNamespaces.Of(repository), UsageView.Of(u), quotas.Select(QuotaView.Of).ToList()));
        }).WithSummary("A repository's storage usage and the quotas that apply to it (anyone who may pull it)");

        api.MapDelete("/repositories/{**name}", async (HttpContext http, string name, RepositoryManagement repositories) =>
        {
            var deleted = await repositories.DeleteAsync(await ManagementApi.CallerAsync(http), name, http.RequestAborted);
            return Results.Ok(new RepositoryDeletedView(name, deleted.Tags, deleted.Manifests, deleted.Blobs, deleted.Uploads));
        }).WithSummary("Delete a repository: its tags, manifests, referrers, blob links and uploads in progress; GC then frees unshared bytes (maintainer of the namespace, admin)");
    }
}
