using Bollard.Server.Distribution;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Metrics;

/// <summary>
/// The bounded <c>route</c> and <c>method</c> labels of a request: a route template, never a repository name or a
/// digest, so the series count does not grow with the registry (no per-repository label explosion).
/// </summary>
public static class RouteLabel
{
    /// <summary>Anything that matched no route (404 probes, scanners): one series, whatever they sent.</summary>
    public const string Unmatched = "unmatched";

    public static string Of(HttpContext context)
    {
        if (context.Features.Get<RouteTemplateFeature>() is { } routed) return routed.Template;
        var path = context.Request.Path;
        if (path.StartsWithSegments("/v2") || IsRawV2(context))
        {
            DistributionRoute? route;
            try
            {
                route = DistributionRoute.Parse(DistributionDispatcher.RawPath(context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? path.Value ?? ""));
            }
            catch (Bollard.Core.Oci.OciException)
            {
                return "/v2/{name}/invalid"; // NAME_INVALID: a distribution request with a bad name
            }
            return route is null ? Unmatched : Template(route.Endpoint);
        }
        // Minimal-API endpoints (management API, token, health, metrics) carry their template.
        return context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } template } ? Normalize(template) : Unmatched;
    }

    public static string Template(DistributionEndpoint endpoint) => endpoint switch
            {
                DistributionEndpoint.Base => "/v2/",
                DistributionEndpoint.Catalog => "/v2/_catalog",
                DistributionEndpoint.Blob => "/v2/{name}/blobs/{digest}",
                DistributionEndpoint.UploadStart => "/v2/{name}/blobs/uploads/",
                DistributionEndpoint.Upload => "/v2/{name}/blobs/uploads/{uuid}",
                DistributionEndpoint.Manifest => "/v2/{name}/manifests/{reference}",
                DistributionEndpoint.TagList => "/v2/{name}/tags/list",
                DistributionEndpoint.Referrers => "/v2/{name}/referrers/{digest}",
                _ => Unmatched,
            };

    public static string Method(string method) => method switch
    {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "PUT" => "PUT",
        "POST" => "POST",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER", // a client chooses the method: never let it mint label values
    };

    private static bool IsRawV2(HttpContext context)
    {
        string raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        return raw.StartsWith("/v2", StringComparison.Ordinal);
    }

    private static string Normalize(string template) => template.StartsWith('/') ? template : "/" + template;
}
