using Bollard.Core.Registry;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Distribution;

/// <summary><c>GET /v2/&lt;name&gt;/tags/list</c>, paged.</summary>
public sealed class TagEndpoint(ManifestService manifests)
{
    public async Task GetAsync(HttpContext context, DistributionRoute route)
    {
        var (n, last) = Paging.Read(context.Request);
        var page = await manifests.ListTagsAsync(route.Name, n, last, context.RequestAborted).ConfigureAwait(false);
        if (page.HasMore)
            context.Response.Headers.Link = $"</v2/{route.Name}/tags/list?n={page.Limit}&last={Uri.EscapeDataString(page.Last!)}>; rel=\"next\"";
        await context.Response.WriteAsJsonAsync(new TagList(route.Name.Value, page.Items), ServerJson.Default.TagList, cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }
}
