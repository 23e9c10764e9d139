using Bollard.Core.Oci;

namespace Bollard.Server.Distribution;

public enum DistributionEndpoint
{
    Base,
    Catalog,
    Blob,
    UploadStart,
    Upload,
    Manifest,
    TagList,
    Referrers,
}

/// <summary>
/// A <c>/v2/...</c> request target split into endpoint, repository name and trailing reference. It is parsed
/// from the raw request target, before Kestrel decodes <c>%2e%2e</c> or collapses dot segments, so that an
/// encoded or dotted name is rejected as <c>NAME_INVALID</c> instead of silently naming another repository.
/// </summary>
public sealed record DistributionRoute(DistributionEndpoint Endpoint, RepositoryName Name, string Reference)
{
    /// <returns>null when the path is not a distribution endpoint (404).</returns>
    /// <exception cref="OciException"><c>NAME_INVALID</c> for a path of endpoint shape with a bad name.</exception>
    public static DistributionRoute? Parse(string rawPath)
    {
        if (rawPath is "/v2" or "/v2/") return new DistributionRoute(DistributionEndpoint.Base, default, "");
        if (!rawPath.StartsWith("/v2/", StringComparison.Ordinal)) return null;
        string rest = rawPath[4..];
        if (rest is "_catalog") return new DistributionRoute(DistributionEndpoint.Catalog, default, "");

        if (rest.EndsWith("/blobs/uploads/", StringComparison.Ordinal))
            return Make(DistributionEndpoint.UploadStart, rest[..^"/blobs/uploads/".Length], "");
        if (rest.EndsWith("/blobs/uploads", StringComparison.Ordinal))
            return Make(DistributionEndpoint.UploadStart, rest[..^"/blobs/uploads".Length], "");
        if (rest.EndsWith("/tags/list", StringComparison.Ordinal))
            return Make(DistributionEndpoint.TagList, rest[..^"/tags/list".Length], "");

        // A digest reference with a '/' ("sha256:../../etc/passwd") would otherwise split into an unknown endpoint
        // (404 NOT_FOUND). Names and tags cannot hold ':', so the first segment with one starts the reference:
        // after blobs/manifests/referrers, all the rest is the reference and Digest.Parse says DIGEST_INVALID.
        int colon = rest.IndexOf(':');
        int refStart = colon > 0 ? rest.LastIndexOf('/', colon) : -1;
        if (refStart > 0 && rest.IndexOf('/', colon) > 0)
        {
            string before = rest[..refStart];
            int slash = before.LastIndexOf('/');
            DistributionEndpoint? endpoint = slash <= 0 ? null : before[(slash + 1)..] switch
            {
                "blobs" => DistributionEndpoint.Blob,
                "manifests" => DistributionEndpoint.Manifest,
                "referrers" => DistributionEndpoint.Referrers,
                _ => null,
            };
            if (endpoint is { } e) return Make(e, before[..slash], rest[(refStart + 1)..]);
        }

        int lastSlash = rest.LastIndexOf('/');
        if (lastSlash <= 0) return null;
        string last = rest[(lastSlash + 1)..];
        string head = rest[..lastSlash];
        int kindSlash = head.LastIndexOf('/');
        if (kindSlash <= 0) return null;
        string kind = head[(kindSlash + 1)..];
        string name = head[..kindSlash];
        switch (kind)
        {
            case "manifests": return Make(DistributionEndpoint.Manifest, name, last);
            case "blobs": return Make(DistributionEndpoint.Blob, name, last);
            case "referrers": return Make(DistributionEndpoint.Referrers, name, last);
            case "uploads" when name.EndsWith("/blobs", StringComparison.Ordinal):
                return Make(DistributionEndpoint.Upload, name[..^"/blobs".Length], last);
            default: return null;
        }
    }

    private static DistributionRoute Make(DistributionEndpoint endpoint, string name, string reference) =>
        new(endpoint, RepositoryName.Parse(name), reference);
}
