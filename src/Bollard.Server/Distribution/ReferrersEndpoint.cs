using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Distribution;

/// <summary><c>GET /v2/&lt;name&gt;/referrers/&lt;digest&gt;</c>: an image index of the manifests whose subject is the digest.</summary>
public sealed class ReferrersEndpoint(ManifestService manifests)
{
    public async Task GetAsync(HttpContext context, DistributionRoute route)
    {
        var subject = Digest.Parse(route.Reference);
        string? artifactType = context.Request.Query.TryGetValue("artifactType", out var at) && !string.IsNullOrEmpty(at) ? at.ToString() : null;
        var (n, lastText) = Paging.Read(context.Request);
        Digest? last = null;
        if (lastText is not null)
            last = Digest.TryParse(lastText, out var l) ? l : throw new OciException(OciErrors.PaginationNumberInvalid, "last must be the digest of a referrer");
        // Paged (distribution-spec: "the Link header MUST be set" when a response is paginated), so an image with
        // thousands of referrers costs one bounded query per request.
        var (list, hasMore, limit) = await manifests.ListReferrersPageAsync(route.Name, subject, artifactType, n, last, context.RequestAborted).ConfigureAwait(false);
        if (hasMore)
        {
            string filter = artifactType is null ? "" : "&artifactType=" + Uri.EscapeDataString(artifactType);
            context.Response.Headers.Link = $"</v2/{route.Name}/referrers/{subject}?n={limit}&last={Uri.EscapeDataString(list[^1].Digest.ToString())}{filter}>; rel=\"next\"";
        }
        var index = new ReferrersIndex(2, MediaTypes.OciIndex, list.Select(r => new ReferrerDescriptor(
            r.MediaType, r.Digest.ToString(), r.Size, r.ArtifactType,
            r.AnnotationsJson is null ? null : JsonSerializer.Deserialize(r.AnnotationsJson, ServerJson.Default.DictionaryStringString))).ToList());
        if (artifactType is not null) context.Response.Headers["OCI-Filters-Applied"] = "artifactType";
        context.Response.ContentType = MediaTypes.OciIndex;
        await JsonSerializer.SerializeAsync(context.Response.Body, index, ServerJson.Default.ReferrersIndex, context.RequestAborted).ConfigureAwait(false);
    }
}
