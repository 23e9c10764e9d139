namespace Bollard.Core.Oci;

/// <summary>
/// The error codes of distribution-spec 1.1 ("Error Codes") with the HTTP status each is served with.
/// Statuses follow CNCF Distribution (registry/api/v2/errors.go) where the spec leaves them open,
/// because Docker and containers/image clients key their retries on them.
/// </summary>
public static class OciErrors
{
    public static readonly OciError BlobUnknown = new("BLOB_UNKNOWN", "blob unknown to registry", 404);
    public static readonly OciError BlobUploadInvalid = new("BLOB_UPLOAD_INVALID", "blob upload invalid", 400);
    public static readonly OciError BlobUploadUnknown = new("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", 404);
    public static readonly OciError DigestInvalid = new("DIGEST_INVALID", "provided digest did not match uploaded content", 400);
    public static readonly OciError ManifestBlobUnknown = new("MANIFEST_BLOB_UNKNOWN", "manifest references a manifest or blob unknown to registry", 400);
    public static readonly OciError ManifestInvalid = new("MANIFEST_INVALID", "manifest invalid", 400);
    public static readonly OciError ManifestUnknown = new("MANIFEST_UNKNOWN", "manifest unknown to registry", 404);
    public static readonly OciError NameInvalid = new("NAME_INVALID", "invalid repository name", 400);
    public static readonly OciError NameUnknown = new("NAME_UNKNOWN", "repository name not known to registry", 404);
    public static readonly OciError SizeInvalid = new("SIZE_INVALID", "provided length did not match content length", 400);
    public static readonly OciError Unauthorized = new("UNAUTHORIZED", "authentication required", 401);
    public static readonly OciError Denied = new("DENIED", "requested access to the resource is denied", 403);
    public static readonly OciError Unsupported = new("UNSUPPORTED", "the operation is unsupported", 405);
    public static readonly OciError TooManyRequests = new("TOOMANYREQUESTS", "too many requests", 429);

    /// <summary>Out-of-order chunk (distribution-spec: "MUST respond with a 416").</summary>
    public static readonly OciError RangeInvalid = new("BLOB_UPLOAD_INVALID", "chunk does not start at the current upload offset", 416);

    /// <summary>A manifest over the size limit (distribution-spec: "SHOULD respond ... with 413").</summary>
    public static readonly OciError ManifestTooLarge = new("SIZE_INVALID", "manifest exceeds the size limit", 413);

    /// <summary>A bad <c>n</c> on a paginated list (CNCF Distribution's code for it).</summary>
    public static readonly OciError PaginationNumberInvalid = new("PAGINATION_NUMBER_INVALID", "invalid number of results requested", 400);

    /// <summary>A tag or digest reference that does not follow the grammar.</summary>
    public static readonly OciError TagInvalid = new("MANIFEST_INVALID", "invalid reference", 400);

    /// <summary>An unexpected failure (CNCF Distribution's <c>UNKNOWN</c>); the detail carries the request id of the log line.</summary>
    public static readonly OciError Unknown = new("UNKNOWN", "unknown error; quote the requestId to the operator", 500);

    /// <summary>The storage refused a write because it is full (RFC 4918 507 Insufficient Storage).</summary>
    public static readonly OciError InsufficientStorage = new("UNKNOWN", "insufficient storage: the registry's storage is full", 507);

    /// <summary>The storage is busy or cannot be reached; retry later (CNCF Distribution's <c>UNAVAILABLE</c>).</summary>
    public static readonly OciError Unavailable = new("UNAVAILABLE", "service unavailable: the registry's storage is busy or unavailable, retry later", 503);

    /// <summary>
    /// A manifest PUT whose <c>If-Match</c> / <c>If-None-Match</c> does not hold: the tag moved (or appeared) since the
    /// writer read it (RFC 9110 §15.5.13). Bollard's own code (distribution-spec has none): read the tag again, re-apply
    /// the change, retry. Other registries ignore the headers (see docs/trust.md).
    /// </summary>
    public static readonly OciError PreconditionFailed = new("PRECONDITION_FAILED", "the tag does not point where the request's If-Match or If-None-Match expected", 412);

    /// <summary>
    /// A pull-through mirror could not reach its upstream for content it has not cached (issue 10): 502 Bad Gateway,
    /// with <c>UNAVAILABLE</c> (CNCF Distribution's retryable code) so clients retry. The detail names the upstream and why.
    /// </summary>
    public static readonly OciError UpstreamUnreachable = new("UNAVAILABLE", "the mirror's upstream cannot be reached and the content is not cached", 502);

    /// <summary>The mirror's upstream did not answer in time for content not cached: 504 Gateway Timeout.</summary>
    public static readonly OciError UpstreamTimeout = new("UNAVAILABLE", "the mirror's upstream did not answer in time and the content is not cached", 504);

    /// <summary>
    /// The mirror's upstream answered, but not with the content (5xx, refused credentials, content that failed
    /// verification, a redirect Bollard will not follow), for content not cached: 502 Bad Gateway.
    /// </summary>
    public static readonly OciError UpstreamFailed = new("UNAVAILABLE", "the mirror's upstream failed and the content is not cached", 502);

    /// <summary>Every code, for documentation and tests.</summary>
    public static IReadOnlyList<OciError> All { get; } =
    [
        BlobUnknown, BlobUploadInvalid, BlobUploadUnknown, DigestInvalid, ManifestBlobUnknown, ManifestInvalid,
        ManifestUnknown, NameInvalid, NameUnknown, SizeInvalid, Unauthorized, Denied, Unsupported, TooManyRequests,
    ];
}
