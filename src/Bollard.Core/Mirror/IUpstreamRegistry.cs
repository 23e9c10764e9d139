using Bollard.Core.Oci;

namespace Bollard.Core.Mirror;

/// <summary>
/// The upstream side of the mirror: one registry per <see cref="UpstreamOptions"/>, with the Docker token flow
/// (anonymous or with the upstream's credentials), the realm host checked against the upstream's host and
/// <see cref="UpstreamOptions.AllowedHosts"/> (no SSRF), link-local and cloud-metadata addresses never contacted,
/// redirects followed only to HTTPS or allowed hosts, every request bounded by <see cref="UpstreamOptions.Timeout"/>,
/// every body read into memory bounded. Thread-safe (one instance serves every mirror request).
/// </summary>
public interface IUpstreamRegistry
{
    /// <summary>HEAD of a manifest: digest, media type, size; null when the upstream says 404.</summary>
    /// <exception cref="UpstreamException">Any other failure, with its <see cref="UpstreamFailure"/>.</exception>
    Task<UpstreamManifestHead?> HeadManifestAsync(MirrorRoute route, Reference reference, CancellationToken ct);

    /// <summary>
    /// A manifest's exact bytes (at most <see cref="UpstreamOptions.MaxManifestBytes"/>), its media type and digest;
    /// by digest, the bytes are verified against it; by tag, the digest is computed over the bytes (and a
    /// <c>Docker-Content-Digest</c> that disagrees is <see cref="UpstreamFailure.Invalid"/>). Null when 404.
    /// </summary>
    Task<UpstreamManifest?> GetManifestAsync(MirrorRoute route, Reference reference, CancellationToken ct);

    /// <summary>
    /// Opens a blob (following allowed redirects). The stream is the upstream's bytes as they come, not verified:
    /// the caller hashes while it reads and refuses a mismatch. Null when 404.
    /// </summary>
    Task<UpstreamBlob?> OpenBlobAsync(MirrorRoute route, Digest digest, CancellationToken ct);

    /// <summary>The referrers of <paramref name="subject"/> (the OCI 1.1 API, or the tag-schema fallback index), at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<Descriptor>> ListReferrersAsync(MirrorRoute route, Digest subject, int max, CancellationToken ct);

    /// <summary>The repository's tags, at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<string>> ListTagsAsync(MirrorRoute route, int max, CancellationToken ct);
}

public sealed record UpstreamManifestHead(Digest Digest, string MediaType, long Size);

public sealed record UpstreamManifest(Digest Digest, string MediaType, byte[] Body);

/// <summary>An open upstream blob; <see cref="Length"/> from <c>Content-Length</c> when the upstream sent it.</summary>
public sealed class UpstreamBlob(Stream content, long? length) : IAsyncDisposable, IDisposable
{
    public Stream Content { get; } = content;
    public long? Length { get; } = length;

    public ValueTask DisposeAsync() => Content.DisposeAsync();

    public void Dispose() => Content.Dispose();
}

/// <summary>Why an upstream request failed; the mirror serves its cache for every kind but <see cref="Invalid"/> content.</summary>
public enum UpstreamFailure
{
    /// <summary>Connection refused, DNS, reset: the upstream is down.</summary>
    Unreachable,
    /// <summary>No answer within <see cref="UpstreamOptions.Timeout"/>.</summary>
    Timeout,
    /// <summary>429 (with <see cref="UpstreamException.RetryAfter"/> when it said).</summary>
    RateLimited,
    /// <summary>401/403 after the token flow: bad or missing credentials.</summary>
    Unauthorized,
    /// <summary>A 5xx or an answer that is not the protocol.</summary>
    ServerError,
    /// <summary>Content that is not what was asked for: wrong digest, too large, not a manifest.</summary>
    Invalid,
    /// <summary>Bollard refused to make the request: a realm or redirect to a host that is not allowed, a link-local or metadata address.</summary>
    Forbidden,
}

public sealed class UpstreamException : Exception
{
    public UpstreamException(UpstreamFailure failure, string message, Exception? inner = null) : base(message, inner) => Failure = failure;

    public UpstreamException() : base("upstream failed") { }

    public UpstreamException(string message) : base(message) { }

    public UpstreamException(string message, Exception inner) : base(message, inner) { }

    public UpstreamFailure Failure { get; } = UpstreamFailure.ServerError;

    public TimeSpan? RetryAfter { get; init; }
}
