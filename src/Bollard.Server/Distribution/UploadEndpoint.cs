using System.Globalization;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Server.Auth;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Distribution;

/// <summary>
/// <c>/v2/&lt;name&gt;/blobs/uploads/</c>: POST (start, monolithic, or cross-repository mount) and, per session,
/// GET (status), PATCH (chunk), PUT (close with <c>?digest=</c>), DELETE (cancel).
/// </summary>
public sealed class UploadEndpoint(BlobService blobs, IRegistryGate gate)
{
    public async Task StartAsync(HttpContext context, DistributionRoute route)
    {
        var query = context.Request.Query;
        var ct = context.RequestAborted;
        if (query.TryGetValue("mount", out var mount))
        {
            var digest = Digest.Parse(mount.ToString());
            RepositoryName? from = query.TryGetValue("from", out var f) && !string.IsNullOrEmpty(f) ? RepositoryName.Parse(f.ToString()) : null;
            var caller = await gate.CallerAsync(context).ConfigureAwait(false);
            var mounted = await blobs.TryMountAsync(route.Name, digest, from, source => new ValueTask<bool>(gate.CanPullAsync(caller, source, ct)), new RegistryActor(caller.Principal.Name, caller.ClientAddress), ct).ConfigureAwait(false);
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
            await blobs.UploadMonolithicAsync(route.Name, digest, context.Request.Body, context.Request.ContentLength, await gate.ActorAsync(context).ConfigureAwait(false), ct).ConfigureAwait(false);
            BlobCreated(context, route.Name, digest);
            return;
        }
        var upload = await blobs.StartUploadAsync(route.Name, await OwnerAsync(context).ConfigureAwait(false), ct).ConfigureAwait(false);
        UploadAccepted(context, route.Name, upload, StatusCodes.Status202Accepted);
    }

    public async Task StatusAsync(HttpContext context, DistributionRoute route)
    {
        var status = await blobs.GetUploadAsync(route.Name, route.Reference, await OwnerAsync(context).ConfigureAwait(false), context.RequestAborted).ConfigureAwait(false);
        UploadAccepted(context, route.Name, status, StatusCodes.Status204NoContent);
    }

    public async Task PatchAsync(HttpContext context, DistributionRoute route)
    {
        var (start, length) = ContentRange(context.Request);
        var status = await blobs.AppendAsync(route.Name, route.Reference, await OwnerAsync(context).ConfigureAwait(false), context.Request.Body, start, length ?? context.Request.ContentLength, context.RequestAborted).ConfigureAwait(false);
        UploadAccepted(context, route.Name, status, StatusCodes.Status202Accepted);
    }

    public async Task PutAsync(HttpContext context, DistributionRoute route)
    {
        if (!context.Request.Query.TryGetValue("digest", out var d) || string.IsNullOrEmpty(d))
            throw new OciException(OciErrors.DigestInvalid, "the closing PUT must carry ?digest=");
        var digest = Digest.Parse(d.ToString());
        var (start, length) = ContentRange(context.Request);
        bool hasBody = context.Request.ContentLength is > 0 || (context.Request.ContentLength is null && context.Request.Headers.TransferEncoding.Count > 0);
        await blobs.CompleteUploadAsync(route.Name, route.Reference, await OwnerAsync(context).ConfigureAwait(false), digest, hasBody ? context.Request.Body : null,
            start, length ?? context.Request.ContentLength, await gate.ActorAsync(context).ConfigureAwait(false), context.RequestAborted).ConfigureAwait(false);
        BlobCreated(context, route.Name, digest);
    }

    public async Task CancelAsync(HttpContext context, DistributionRoute route)
    {
        await blobs.CancelUploadAsync(route.Name, route.Reference, await OwnerAsync(context).ConfigureAwait(false), context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task<string> OwnerAsync(HttpContext context) => (await gate.CallerAsync(context).ConfigureAwait(false)).Principal.Name;

    private static void BlobCreated(HttpContext context, RepositoryName name, Digest digest)
    {
        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.Headers.Location = $"/v2/{name}/blobs/{digest}";
        context.Response.Headers[DistributionHeaders.ContentDigest] = digest.ToString();
        context.Response.ContentLength = 0;
    }

    private static void UploadAccepted(HttpContext context, RepositoryName name, UploadStatus upload, int status)
    {
        context.Response.StatusCode = status;
        var headers = context.Response.Headers;
        // The Location never encodes the offset: it stays valid for the whole session.
        headers.Location = $"/v2/{name}/blobs/uploads/{upload.Id}";
        headers[DistributionHeaders.UploadUuid] = upload.Id;
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
}
