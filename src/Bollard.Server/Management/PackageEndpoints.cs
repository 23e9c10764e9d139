using Bollard.Core.Auth;
using Bollard.Core.Scanning.Pipeline;
using Bollard.Scanning.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary>
/// <c>GET /api/v1/packages</c>: the log4j question, "which repositories, images and tags contain this package", from the
/// package index, filtered by what the caller may pull: <c>?purl=pkg:maven/org.apache.logging.log4j/log4j-core</c>
/// (a version in the purl is matched exactly), or <c>?type=maven&amp;name=org.apache.logging.log4j:log4j-core</c>, with
/// <c>&amp;version=</c> an exact version or a range .
/// </summary>
internal static class PackageEndpoints
{
    public static void Map(RouteGroupBuilder api) =>
        api.MapGet("/packages", async (HttpContext http, string? purl, string? type, string? name, string? version, int? limit, ScanService scans) =>
        {
            int n = limit ?? 1000;
            if (n is < 1 or > 10_000) throw new ManagementException(ManagementError.BadRequest, "limit: 1 to 10000");
            PackageQuery query;
            if (!string.IsNullOrWhiteSpace(purl))
            {
                if (!purl.StartsWith("pkg:", StringComparison.OrdinalIgnoreCase) || purl.Length > 1000)
                    throw new ManagementException(ManagementError.BadRequest, $"purl '{purl}' is not a package URL (pkg:TYPE/NAMESPACE/NAME[@VERSION])");
                query = new PackageQuery { PurlBase = ScanPurls.Base(purl), Version = ScanPurls.Version(purl) };
            }
            else if (!string.IsNullOrWhiteSpace(name))
                query = new PackageQuery { Type = string.IsNullOrWhiteSpace(type) ? null : type.Trim().ToLowerInvariant(), Name = name.Trim() };
            else throw new ManagementException(ManagementError.BadRequest, "give ?purl=pkg:TYPE/NAMESPACE/NAME, or ?name= (and ?type=)");

            Func<PackageHit, bool>? filter = null;
            if (!string.IsNullOrWhiteSpace(version))
            {
                var range = VersionRangeFilter.Parse(version);
                if (range.Exact is { } exact && query.Version is null) query = query with { Version = exact };
                else filter = range.Matches;
            }
            var (hits, truncated) = await scans.PackagesAsync(await ManagementApi.CallerAsync(http), query, filter, n, http.RequestAborted);
            return Results.Ok(new PackageHitsView(hits.Select(h => new PackageHitView(h.Repository, h.Digest, h.Tags, h.Type, h.Name, h.Version, h.Purl, h.Path)).ToList(), truncated));
        }).WithSummary("Which repositories, images and tags contain a package: ?purl=pkg:maven/org.apache.logging.log4j/log4j-core, or ?type=&name=, with &version= exact or a range like >=2.0.0,<2.17.1 (only repositories the caller may pull)");
}
