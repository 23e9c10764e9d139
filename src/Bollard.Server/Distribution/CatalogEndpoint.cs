using Bollard.Core.Registry;
using Bollard.Server.Auth;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Distribution;

/// <summary><c>GET /v2/_catalog</c>: the repositories the caller may pull, paged.</summary>
public sealed class CatalogEndpoint(ManifestService manifests, IRegistryGate gate)
{
    public async Task GetAsync(HttpContext context)
    {
        var (n, last) = Paging.Read(context.Request);
        var caller = await gate.RequireCatalogAsync(context).ConfigureAwait(false);
        // The catalog lists only what the caller's principal may pull, whatever repository scopes its token has.
        var page = await manifests.ListRepositoriesAsync(n, last,
            name => new ValueTask<bool>(gate.CanPullAsync(caller, name, context.RequestAborted, ignoreTokenScope: true)), context.RequestAborted).ConfigureAwait(false);
        if (page.HasMore)
            context.Response.Headers.Link = $"</v2/_catalog?n={page.Limit}&last={Uri.EscapeDataString(page.Last!)}>; rel=\"next\"";
        await context.Response.WriteAsJsonAsync(new Catalog(page.Items), ServerJson.Default.Catalog, cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }
}
