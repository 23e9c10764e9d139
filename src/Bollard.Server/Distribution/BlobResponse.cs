using System.Globalization;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Bollard.Server.Distribution;

/// <summary>
/// <c>GET</c>/<c>HEAD /v2/&lt;name&gt;/blobs/&lt;digest&gt;</c> over the thin blob read contract
/// (<see cref="IBlobStore.OpenReadAsync"/>): the size comes from stat, the backend is asked only for the bytes of
/// one range, and ranges and conditional requests are decided here, the same for every backend.
/// <list type="bullet">
/// <item>ETag is the quoted digest (a blob never changes, so it is a strong validator); there is no Last-Modified,
/// so <c>If-Modified-Since</c>/<c>If-Unmodified-Since</c> are ignored (RFC 9110 13.1.3-4) and an
/// <c>If-Range</c> date never matches.</item>
/// <item>RFC 9110 13.2.2 order: <c>If-Match</c> (412) before <c>If-None-Match</c> (304) before <c>Range</c>.</item>
/// <item>One byte range gives 206 with <c>Content-Range</c>; an unsatisfiable one 416 with <c>bytes */size</c>; an
/// unparseable one, or several ranges (multipart/byteranges is not served), is ignored: the whole blob, 200.</item>
/// <item>When the backend offers a direct URL (object store), <c>GET</c> answers 307 with <c>Location</c>.</item>
/// </list>
/// Memory per download is bounded (issue 6 B15): at most <see cref="ReadSize"/> bytes are read ahead into the
/// response pipe, and a flush waits while Kestrel holds more than <c>MaxResponseBufferSize</c> unsent, so a
/// client that stops reading holds one read's worth of memory, not a megabyte.
/// </summary>
internal static class BlobResponse
{
    /// <summary>
    /// Bytes read from the store per step, straight into Kestrel's output pipe (no copy of our own). 64 KiB is
    /// one pooled array per download; 1 MiB cost 1 MiB per stalled reader (600 readers: +616 MiB RSS).
    /// </summary>
    internal const int ReadSize = 64 * 1024;

    private const string ContentDigestHeader = "Docker-Content-Digest";

    public static async Task WriteAsync(HttpContext context, IBlobReader blobs, RepositoryName repository, Digest digest, RegistryActor actor)
    {
        var ct = context.RequestAborted;
        var request = context.Request;
        var response = context.Response;
        var info = await blobs.StatAsync(repository, digest, actor, ct).ConfigureAwait(false);
        var etag = new EntityTagHeaderValue("\"" + digest + "\"");
        var headers = response.Headers;
        headers[ContentDigestHeader] = digest.ToString();
        headers.CacheControl = "max-age=31536000";
        headers.ETag = etag.ToString();
        headers.AcceptRanges = "bytes";

        if (HttpMethods.IsHead(request.Method))
        {
            response.ContentType = "application/octet-stream";
            response.ContentLength = info.Size;
            return;
        }

        if (request.Headers.IfMatch.Count > 0 && !AnyMatches(request.Headers.IfMatch, etag, strong: true))
        {
            response.StatusCode = StatusCodes.Status412PreconditionFailed;
            response.ContentLength = 0;
            return;
        }
        if (request.Headers.IfNoneMatch.Count > 0 && AnyMatches(request.Headers.IfNoneMatch, etag, strong: false))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        if (await blobs.GetRedirectUriAsync(repository, digest, ct).ConfigureAwait(false) is { } redirect)
        {
            response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            headers.Location = redirect.AbsoluteUri;
            response.ContentLength = 0;
            return;
        }

        ByteRange? range = null;
        if (request.Headers.Range.Count > 0 && IfRangeHolds(request.Headers.IfRange, etag))
        {
            switch (ParseRange(request.Headers.Range, info.Size))
            {
                case (true, null):
                    response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                    headers.ContentRange = "bytes */" + info.Size.ToString(CultureInfo.InvariantCulture);
                    response.ContentLength = 0;
                    return;
                case (true, { } satisfiable):
                    range = satisfiable;
                    response.StatusCode = StatusCodes.Status206PartialContent;
                    headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {satisfiable.Offset}-{satisfiable.Last}/{info.Size}");
                    break;
            }
        }

        long length = range?.Length ?? info.Size;
        response.ContentType = "application/octet-stream";
        response.ContentLength = length;
        var stream = await blobs.OpenAsync(repository, digest, range, actor, ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var writer = response.BodyWriter;
            long remaining = length;
            while (remaining > 0)
            {
                var memory = writer.GetMemory(ReadSize);
                int read = await stream.ReadAsync(memory[..(int)Math.Min(Math.Min(memory.Length, ReadSize), remaining)], ct).ConfigureAwait(false);
                if (read == 0) break; // shorter than its stat: Kestrel aborts the response for the missing bytes
                writer.Advance(read);
                remaining -= read;
                if ((await writer.FlushAsync(ct).ConfigureAwait(false)).IsCompleted) break; // the client is gone
            }
        }
    }

    private static bool AnyMatches(StringValues header, EntityTagHeaderValue etag, bool strong)
    {
        if (!EntityTagHeaderValue.TryParseList(header, out var tags)) return false;
        foreach (var tag in tags)
            if (tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(etag, useStrongComparison: strong)) return true;
        return false;
    }

    /// <summary>RFC 9110 13.1.5: without <c>If-Range</c> the range applies; with one, only if it names this strong ETag.</summary>
    private static bool IfRangeHolds(StringValues ifRange, EntityTagHeaderValue etag)
    {
        if (ifRange.Count == 0) return true;
        return EntityTagHeaderValue.TryParse(ifRange.ToString(), out var tag) && tag.Compare(etag, useStrongComparison: true);
    }

    /// <returns>(false, _) to ignore the header; (true, null) when unsatisfiable; else the range clamped to the size.</returns>
    private static (bool IsRange, ByteRange? Range) ParseRange(StringValues header, long size)
    {
        if (header.Count != 1 || !RangeHeaderValue.TryParse(header.ToString(), out var parsed)
            || !string.Equals(parsed.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase) || parsed.Ranges.Count != 1)
            return (false, null);
        var item = parsed.Ranges.First();
        long first, last;
        if (item.From is { } from)
        {
            if (from >= size) return (true, null);
            first = from;
            last = item.To is { } to ? Math.Min(to, size - 1) : size - 1;
        }
        else if (item.To is { } suffix)
        {
            if (suffix == 0 || size == 0) return (true, null);
            first = Math.Max(0, size - suffix);
            last = size - 1;
        }
        else return (false, null);
        return (true, new ByteRange(first, last - first + 1));
    }
}
