using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Retention;
using Bollard.Server.Auth;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Distribution;

/// <summary><c>/v2/&lt;name&gt;/manifests/&lt;reference&gt;</c>: GET and HEAD (with content negotiation), PUT, DELETE.</summary>
public sealed class ManifestEndpoint(ManifestService manifests, RegistryOptions options, IRegistryGate gate, PullTimeRecorder pulls)
{
    public async Task GetAsync(HttpContext context, DistributionRoute route)
    {
        // A pull of a reference that is neither a tag nor a digest names nothing: "If the manifest is not found
        // in the repository, the response code MUST be 404" (distribution-spec "Pulling manifests", end-3 has
        // no 400). The OCI conformance suite pulls ".INVALID_MANIFEST_NAME" and expects 404; PUT still says 400.
        if (!route.Reference.Contains(':') && !Tag.IsValid(route.Reference))
            throw new OciException(OciErrors.ManifestUnknown, "the reference is neither a valid tag nor a digest");
        var reference = Reference.Parse(route.Reference);
        var manifest = await manifests.GetAsync(route.Name, reference, await gate.ActorAsync(context).ConfigureAwait(false), context.RequestAborted).ConfigureAwait(false);
        if (!Accepts(context.Request, manifest.MediaType))
            throw new OciException(OciErrors.ManifestUnknown,
                $"manifest is {manifest.MediaType}, which the Accept header does not allow");
        var response = context.Response;
        response.ContentType = manifest.MediaType;
        response.ContentLength = manifest.Content.Length;
        response.Headers[DistributionHeaders.ContentDigest] = manifest.Digest.ToString();
        response.Headers.ETag = "\"" + manifest.Digest + "\"";
        if (manifest.Freshness is { } freshness) MirrorHeaders.Write(response, freshness);
        // Last-pull times (retention): in memory, flushed in batches. HEAD counts: docker and containerd resolve a
        // tag with HEAD and then fetch by digest.
        pulls.Record(route.Name, reference.Tag, manifest.Digest);
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(manifest.Content, context.RequestAborted).ConfigureAwait(false);
            await gate.RecordAsync(context, "pull", route.Name, route.Reference).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Content negotiation as CNCF Distribution does it: no Accept (or a wildcard) takes anything; otherwise
    /// the stored type must be listed, because the exact pushed bytes are served, never a conversion.
    /// </summary>
    private static bool Accepts(HttpRequest request, string mediaType)
    {
        var accept = request.Headers.Accept;
        if (accept.Count == 0) return true;
        foreach (var value in accept)
        {
            if (value is null) continue;
            foreach (var part in value.Split(','))
            {
                string type = MediaTypes.WithoutParameters(part) ?? "";
                if (type.Length == 0 || type == "*/*" || type == "application/*" || type == "application/json"
                    || string.Equals(type, mediaType, StringComparison.OrdinalIgnoreCase))
                    return true;
            }
        }
        return false;
    }

    public async Task PutAsync(HttpContext context, DistributionRoute route)
    {
        var reference = Reference.Parse(route.Reference);
        var ct = context.RequestAborted;
        byte[] body = await BoundedReader.ReadAsync(context.Request.Body, context.Request.ContentLength, options.MaxManifestBytes, ct).ConfigureAwait(false);
        // If-Match / If-None-Match make a tag's read-modify-write atomic (appending to a cosign .sig manifest): 412 when the
        // tag moved since the client read it. Checked by ManifestService inside the manifest transaction.
        var condition = TagCondition.FromHeaders(context.Request.Headers.IfMatch, context.Request.Headers.IfNoneMatch);
        var (digest, parsed) = await manifests.PutAsync(route.Name, reference, body, context.Request.ContentType, condition, await gate.ActorAsync(context).ConfigureAwait(false), ct).ConfigureAwait(false);
        var headers = context.Response.Headers;
        context.Response.StatusCode = StatusCodes.Status201Created;
        headers.Location = $"/v2/{route.Name}/manifests/{digest}";
        headers[DistributionHeaders.ContentDigest] = digest.ToString();
        if (parsed.Subject is not null) headers["OCI-Subject"] = parsed.Subject.Digest.ToString();
        context.Response.ContentLength = 0;
    }

    public async Task DeleteAsync(HttpContext context, DistributionRoute route)
    {
        await manifests.DeleteAsync(route.Name, Reference.Parse(route.Reference), await gate.ActorAsync(context).ConfigureAwait(false), context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
    }
}
