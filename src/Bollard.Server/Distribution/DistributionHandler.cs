using System.Globalization;
using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Core.Auth;
using Bollard.Core.Registry;
using Bollard.Server.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Bollard.Server.Distribution;

/// <summary>
/// Serves every <c>/v2/</c> endpoint of distribution-spec 1.1. Routing is done here from the raw target (see
/// <see cref="DistributionRoute"/>); all registry logic is in Core's <see cref="BlobService"/> and
/// <see cref="ManifestService"/>; every failure leaves through <see cref="OciErrorWriter"/>.
/// </summary>
public sealed partial class DistributionHandler(
    BlobService blobs, ManifestService manifests, RegistryOptions options, RegistryGate gate, AuditRecorder audit, ILogger<DistributionHandler> logger)
{
    private const string ApiVersionHeader = "Docker-Distribution-API-Version";
    private const string ContentDigestHeader = "Docker-Content-Digest";
    private const string UploadUuidHeader = "Docker-Upload-UUID";

    public async Task HandleAsync(HttpContext context)
    {
        context.Response.Headers[ApiVersionHeader] = "registry/2.0";
        try
        {
            string raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
            var route = DistributionRoute.Parse(RawPath(raw));
            if (route is null)
            {
                await OciErrorWriter.WriteAsync(context, new OciError("NOT_FOUND", "no such endpoint", 404), null).ConfigureAwait(false);
                return;
            }
            await DispatchAsync(context, route).ConfigureAwait(false);
        }
        catch (RegistryAuthException e)
        {
            await WriteRefusalAsync(context, e).ConfigureAwait(false);
        }
        catch (OciException e)
        {
            await OciErrorWriter.WriteAsync(context, e.Error, e.Detail).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's verdict on the body: shorter than Content-Length, over a limit, bad chunking.
            await OciErrorWriter.WriteAsync(context, e.StatusCode == 413 ? OciErrors.ManifestTooLarge : OciErrors.BlobUploadInvalid, e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // Client went away; the upload session rolled its chunk back.
        }
        catch (IOException e) when (context.RequestAborted.IsCancellationRequested)
        {
            Log.ClientAborted(logger, e.Message);
        }
    }

    private async Task DispatchAsync(HttpContext context, DistributionRoute route)
    {
        string method = context.Request.Method;
        await AuthorizeAsync(context, route.Endpoint, method, route.Name).ConfigureAwait(false);
        await ((route.Endpoint, method) switch
        {
            (DistributionEndpoint.Base, "GET" or "HEAD") => BaseAsync(context),
            (DistributionEndpoint.Catalog, "GET") => CatalogAsync(context),
            (DistributionEndpoint.Blob, "GET" or "HEAD") => GetBlobAsync(context, route),
            (DistributionEndpoint.Blob, "DELETE") => DeleteBlobAsync(context, route),
            (DistributionEndpoint.UploadStart, "POST") => StartUploadAsync(context, route),
            (DistributionEndpoint.Upload, "GET") => UploadStatusAsync(context, route),
            (DistributionEndpoint.Upload, "PATCH") => PatchUploadAsync(context, route),
            (DistributionEndpoint.Upload, "PUT") => PutUploadAsync(context, route),
            (DistributionEndpoint.Upload, "DELETE") => CancelUploadAsync(context, route),
            (DistributionEndpoint.Manifest, "GET" or "HEAD") => GetManifestAsync(context, route),
            (DistributionEndpoint.Manifest, "PUT") => PutManifestAsync(context, route),
            (DistributionEndpoint.Manifest, "DELETE") => DeleteManifestAsync(context, route),
            (DistributionEndpoint.TagList, "GET") => TagsAsync(context, route),
            (DistributionEndpoint.Referrers, "GET") => ReferrersAsync(context, route),
            _ => throw new OciException(OciErrors.Unsupported, $"{method} is not supported on this endpoint"),
        }).ConfigureAwait(false);
    }

    /// <summary>What each endpoint needs (Docker token scopes: pull, push, delete); the catalog filters instead.</summary>
    private Task AuthorizeAsync(HttpContext context, DistributionEndpoint endpoint, string method, RepositoryName name)
    {
        if (!gate.Enabled) return Task.CompletedTask;
        RepositoryAccess needed = (endpoint, method) switch
        {
            (DistributionEndpoint.Base or DistributionEndpoint.Catalog, _) => RepositoryAccess.None,
            (DistributionEndpoint.Blob or DistributionEndpoint.Manifest, "DELETE") => RepositoryAccess.Delete,
            (DistributionEndpoint.UploadStart or DistributionEndpoint.Upload, _) => RepositoryAccess.Push,
            (DistributionEndpoint.Manifest, "PUT") => RepositoryAccess.Push,
            _ => RepositoryAccess.Pull,
        };
        if (endpoint == DistributionEndpoint.Base) return gate.RequireAuthenticatedAsync(context);
        return needed == RepositoryAccess.None ? Task.CompletedTask : gate.RequireAsync(context, name, needed);
    }

    /// <summary>401 with the Bearer challenge of the Docker token protocol, 403 DENIED, or 429 with Retry-After.</summary>
    private async Task WriteRefusalAsync(HttpContext context, RegistryAuthException e)
    {
        if (e.Status == StatusCodes.Status401Unauthorized)
        {
            var challenge = $"Bearer realm=\"{gate.Realm(context.Request)}\",service=\"{gate.Service}\"";
            if (e.ChallengeScope is not null) challenge += $",scope=\"{e.ChallengeScope}\"";
            if (e.ChallengeError is not null) challenge += $",error=\"{e.ChallengeError}\"";
            await OciErrorWriter.WriteAsync(context, OciErrors.Unauthorized, e.Message, h => h.WWWAuthenticate = challenge).ConfigureAwait(false);
            return;
        }
        var error = e.Status == StatusCodes.Status429TooManyRequests ? OciErrors.TooManyRequests : OciErrors.Denied;
        await OciErrorWriter.WriteAsync(context, error, e.Message, h =>
        {
            if (e.RetryAfter is { } wait) h.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }).ConfigureAwait(false);
    }

    private static Task BaseAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = 2;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync("{}");
    }

    // ---- blobs ----

    private Task GetBlobAsync(HttpContext context, DistributionRoute route) =>
        BlobResponse.WriteAsync(context, blobs, route.Name, Digest.Parse(route.Reference));

    private async Task DeleteBlobAsync(HttpContext context, DistributionRoute route)
    {
        await blobs.DeleteAsync(route.Name, Digest.Parse(route.Reference), context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
        await AuditAsync(context, "delete", route.Name, route.Reference).ConfigureAwait(false);
    }

    // ---- uploads ----

    private async Task StartUploadAsync(HttpContext context, DistributionRoute route)
    {
        var query = context.Request.Query;
        var ct = context.RequestAborted;
        if (query.TryGetValue("mount", out var mount))
        {
            var digest = Digest.Parse(mount.ToString());
            RepositoryName? from = query.TryGetValue("from", out var f) && !string.IsNullOrEmpty(f) ? RepositoryName.Parse(f.ToString()) : null;
            var caller = await gate.CallerAsync(context).ConfigureAwait(false);
            var mounted = await blobs.TryMountAsync(route.Name, digest, from, source => new ValueTask<bool>(gate.CanPullAsync(caller, source, ct)), ct).ConfigureAwait(false);
            if (mounted is not null)
            {
                BlobCreated(context, route.Name, mounted.Digest);
                return;
            }
            // distribution-spec end-11: when the mount is not possible, open a normal upload (202).
        }
        else if (query.TryGetValue("digest", out var d))
        {
            var digest = Digest.Parse(d.ToString());
            await blobs.UploadMonolithicAsync(route.Name, digest, context.Request.Body, context.Request.ContentLength, ct).ConfigureAwait(false);
            BlobCreated(context, route.Name, digest);
            return;
        }
        var upload = await blobs.StartUploadAsync(route.Name, await OwnerAsync(context).ConfigureAwait(false), ct).ConfigureAwait(false);
        UploadAccepted(context, route.Name, upload, StatusCodes.Status202Accepted);
    }

    private async Task UploadStatusAsync(HttpContext context, DistributionRoute route)
    {
        var status = await blobs.GetUploadAsync(route.Name, route.Reference, await OwnerAsync(context).ConfigureAwait(false), context.RequestAborted).ConfigureAwait(false);
        UploadAccepted(context, route.Name, status, StatusCodes.Status204NoContent);
    }

    private async Task PatchUploadAsync(HttpContext context, DistributionRoute route)
    {
        var (start, length) = ContentRange(context.Request);
        var status = await blobs.AppendAsync(route.Name, route.Reference, await OwnerAsync(context).ConfigureAwait(false), context.Request.Body, start, length ?? context.Request.ContentLength, context.RequestAborted).ConfigureAwait(false);
        UploadAccepted(context, route.Name, status, StatusCodes.Status202Accepted);
    }

    private async Task PutUploadAsync(HttpContext context, DistributionRoute route)
    {
        if (!context.Request.Query.TryGetValue("digest", out var d) || string.IsNullOrEmpty(d))
            throw new OciException(OciErrors.DigestInvalid, "the closing PUT must carry ?digest=");
        var digest = Digest.Parse(d.ToString());
        var (start, length) = ContentRange(context.Request);
        bool hasBody = context.Request.ContentLength is > 0 || (context.Request.ContentLength is null && context.Request.Headers.TransferEncoding.Count > 0);
        await blobs.CompleteUploadAsync(route.Name, route.Reference, await OwnerAsync(context).ConfigureAwait(false), digest, hasBody ? context.Request.Body : null,
            start, length ?? context.Request.ContentLength, context.RequestAborted).ConfigureAwait(false);
        BlobCreated(context, route.Name, digest);
    }

    private async Task CancelUploadAsync(HttpContext context, DistributionRoute route)
    {
        await blobs.CancelUploadAsync(route.Name, route.Reference, await OwnerAsync(context).ConfigureAwait(false), context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task<string> OwnerAsync(HttpContext context) => (await gate.CallerAsync(context).ConfigureAwait(false)).Principal.Name;

    private async Task AuditAsync(HttpContext context, string action, RepositoryName name, string reference)
    {
        if (!gate.Enabled) return;
        var caller = await gate.CallerAsync(context).ConfigureAwait(false);
        audit.Record(caller.Principal.Name, caller.ClientAddress, action, "success", name.Value, reference);
    }

    private static void BlobCreated(HttpContext context, RepositoryName name, Digest digest)
    {
        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.Headers.Location = $"/v2/{name}/blobs/{digest}";
        context.Response.Headers[ContentDigestHeader] = digest.ToString();
        context.Response.ContentLength = 0;
    }

    private static void UploadAccepted(HttpContext context, RepositoryName name, UploadStatus upload, int status)
    {
        context.Response.StatusCode = status;
        var headers = context.Response.Headers;
        // The Location never encodes the offset: it stays valid for the whole session.
        headers.Location = $"/v2/{name}/blobs/uploads/{upload.Id}";
        headers[UploadUuidHeader] = upload.Id;
        // CNCF Distribution's convention: "0-0" for an empty upload, else 0-<last byte>.
        headers.Range = $"0-{Math.Max(0, upload.Length - 1)}";
        if (status != StatusCodes.Status204NoContent) context.Response.ContentLength = 0;
    }

    /// <summary>
    /// distribution-spec: <c>Content-Range: &lt;start&gt;-&lt;end&gt;</c>, inclusive. Also accepts the RFC 9110
    /// form <c>bytes start-end/total</c> that some clients send.
    /// </summary>
    private static (long? Start, long? Length) ContentRange(HttpRequest request)
    {
        string? value = request.Headers.ContentRange.ToString();
        if (string.IsNullOrWhiteSpace(value)) return (null, null);
        var span = value.AsSpan().Trim();
        if (span.StartsWith("bytes")) span = span[5..].TrimStart([' ', '=']);
        int slash = span.IndexOf('/');
        if (slash >= 0) span = span[..slash];
        int dash = span.IndexOf('-');
        if (dash <= 0
            || !long.TryParse(span[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out long start)
            || !long.TryParse(span[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out long end))
            throw new OciException(OciErrors.BlobUploadInvalid, $"Content-Range '{value}' is not <start>-<end>");
        if (end < start) throw new OciException(OciErrors.RangeInvalid, $"Content-Range '{value}' ends before it starts");
        return (start, end - start + 1);
    }

    // ---- manifests ----

    private async Task GetManifestAsync(HttpContext context, DistributionRoute route)
    {
        // A pull of a reference that is neither a tag nor a digest names nothing: "If the manifest is not found
        // in the repository, the response code MUST be 404" (distribution-spec "Pulling manifests", end-3 has
        // no 400). The OCI conformance suite pulls ".INVALID_MANIFEST_NAME" and expects 404; PUT still says 400.
        if (!route.Reference.Contains(':') && !Tag.IsValid(route.Reference))
            throw new OciException(OciErrors.ManifestUnknown, "the reference is neither a valid tag nor a digest");
        var reference = Reference.Parse(route.Reference);
        var manifest = await manifests.GetAsync(route.Name, reference, context.RequestAborted).ConfigureAwait(false);
        if (!Accepts(context.Request, manifest.MediaType))
            throw new OciException(OciErrors.ManifestUnknown,
                $"manifest is {manifest.MediaType}, which the Accept header does not allow");
        var response = context.Response;
        response.ContentType = manifest.MediaType;
        response.ContentLength = manifest.Content.Length;
        response.Headers[ContentDigestHeader] = manifest.Digest.ToString();
        response.Headers.ETag = "\"" + manifest.Digest + "\"";
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(manifest.Content, context.RequestAborted).ConfigureAwait(false);
            await AuditAsync(context, "pull", route.Name, route.Reference).ConfigureAwait(false);
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

    private async Task PutManifestAsync(HttpContext context, DistributionRoute route)
    {
        var reference = Reference.Parse(route.Reference);
        var ct = context.RequestAborted;
        byte[] body = await BoundedReader.ReadAsync(context.Request.Body, context.Request.ContentLength, options.MaxManifestBytes, ct).ConfigureAwait(false);
        var (digest, parsed) = await manifests.PutAsync(route.Name, reference, body, context.Request.ContentType, ct).ConfigureAwait(false);
        var headers = context.Response.Headers;
        context.Response.StatusCode = StatusCodes.Status201Created;
        headers.Location = $"/v2/{route.Name}/manifests/{digest}";
        headers[ContentDigestHeader] = digest.ToString();
        if (parsed.Subject is not null) headers["OCI-Subject"] = parsed.Subject.Digest.ToString();
        context.Response.ContentLength = 0;
        await AuditAsync(context, "push", route.Name, reference.Tag is null ? digest.ToString() : $"{reference.Tag}@{digest}").ConfigureAwait(false);
    }

    private async Task DeleteManifestAsync(HttpContext context, DistributionRoute route)
    {
        await manifests.DeleteAsync(route.Name, Reference.Parse(route.Reference), context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
        await AuditAsync(context, "delete", route.Name, route.Reference).ConfigureAwait(false);
    }

    // ---- listings ----

    private async Task TagsAsync(HttpContext context, DistributionRoute route)
    {
        var (n, last) = Paging(context.Request);
        var page = await manifests.ListTagsAsync(route.Name, n, last, context.RequestAborted).ConfigureAwait(false);
        if (page.HasMore)
            context.Response.Headers.Link = $"</v2/{route.Name}/tags/list?n={page.Items.Count}&last={Uri.EscapeDataString(page.Last!)}>; rel=\"next\"";
        await context.Response.WriteAsJsonAsync(new TagList(route.Name.Value, page.Items), ServerJson.Default.TagList, cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }

    private async Task CatalogAsync(HttpContext context)
    {
        var (n, last) = Paging(context.Request);
        var caller = await gate.RequireCatalogAsync(context).ConfigureAwait(false);
        // The catalog lists only what the caller's principal may pull, whatever repository scopes its token has.
        var page = await manifests.ListRepositoriesAsync(n, last,
            name => new ValueTask<bool>(gate.CanPullAsync(caller, name, context.RequestAborted, ignoreTokenScope: true)), context.RequestAborted).ConfigureAwait(false);
        if (page.HasMore)
            context.Response.Headers.Link = $"</v2/_catalog?n={page.Items.Count}&last={Uri.EscapeDataString(page.Last!)}>; rel=\"next\"";
        await context.Response.WriteAsJsonAsync(new Catalog(page.Items), ServerJson.Default.Catalog, cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }

    private static (int? N, string? Last) Paging(HttpRequest request)
    {
        int? n = null;
        if (request.Query.TryGetValue("n", out var nValue) && !string.IsNullOrEmpty(nValue))
        {
            // Anything that is not a non-negative integer, or overflows int, is rejected; large values are capped later.
            if (!long.TryParse(nValue.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out long parsed))
                throw new OciException(OciErrors.PaginationNumberInvalid, $"n='{nValue}' is not a non-negative integer");
            n = (int)Math.Min(parsed, int.MaxValue);
        }
        string? last = request.Query.TryGetValue("last", out var l) && !string.IsNullOrEmpty(l) ? l.ToString() : null;
        return (n, last);
    }

    private async Task ReferrersAsync(HttpContext context, DistributionRoute route)
    {
        var subject = Digest.Parse(route.Reference);
        string? artifactType = context.Request.Query.TryGetValue("artifactType", out var at) && !string.IsNullOrEmpty(at) ? at.ToString() : null;
        var list = await manifests.ListReferrersAsync(route.Name, subject, artifactType, context.RequestAborted).ConfigureAwait(false);
        var index = new ReferrersIndex(2, MediaTypes.OciIndex, list.Select(r => new ReferrerDescriptor(
            r.MediaType, r.Digest.ToString(), r.Size, r.ArtifactType,
            r.AnnotationsJson is null ? null : JsonSerializer.Deserialize(r.AnnotationsJson, ServerJson.Default.DictionaryStringString))).ToList());
        if (artifactType is not null) context.Response.Headers["OCI-Filters-Applied"] = "artifactType";
        context.Response.ContentType = MediaTypes.OciIndex;
        await JsonSerializer.SerializeAsync(context.Response.Body, index, ServerJson.Default.ReferrersIndex, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The path of a raw request target (origin-form or absolute-form), without the query.</summary>
    internal static string RawPath(string rawTarget)
    {
        if (rawTarget.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || rawTarget.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            int pathStart = rawTarget.IndexOf('/', rawTarget.IndexOf("//", StringComparison.Ordinal) + 2);
            rawTarget = pathStart < 0 ? "/" : rawTarget[pathStart..];
        }
        int q = rawTarget.IndexOf('?');
        return q >= 0 ? rawTarget[..q] : rawTarget;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Client aborted the request: {Reason}")]
        public static partial void ClientAborted(ILogger logger, string reason);
    }
}
