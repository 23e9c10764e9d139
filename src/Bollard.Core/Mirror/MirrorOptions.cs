using System.ComponentModel.DataAnnotations;

namespace Bollard.Core.Mirror;

/// <summary>
/// The pull-through mirror (issue 10), bound from the <c>Mirror</c> section. Each upstream is mapped into Bollard's
/// namespace under <c>&lt;Namespace&gt;/&lt;upstream name&gt;/&lt;upstream repository&gt;</c>
/// (<c>mirror/docker.io/library/alpine</c>); requests without the prefix reach an upstream transparently through
/// <c>?ns=&lt;upstream name&gt;</c> (containerd) or <see cref="Transparent"/> (a Docker daemon's
/// <c>registry-mirrors</c>, podman's <c>[[registry.mirror]]</c>). No upstream: the mirror is off.
/// </summary>
public sealed class MirrorOptions
{
    public const string Section = "Mirror";

    /// <summary>The first path component of mirrored repositories.</summary>
    public string Namespace { get; set; } = "mirror";

    /// <summary>
    /// The upstream (by name) that transparent requests without <c>?ns=</c> go to when the repository does not exist
    /// locally outside the mirror namespace: usually <c>docker.io</c>. Null: only <c>?ns=</c> and the prefix map.
    /// </summary>
    public string? Transparent { get; set; }

    public List<UpstreamOptions> Upstreams { get; set; } = [];

    /// <summary>Upstream fetches (misses and revalidations) one principal may cause per minute; 0: unlimited.</summary>
    [Range(0, 1_000_000)]
    public int FetchesPerMinutePerPrincipal { get; set; } = 600;

    /// <summary>Where blobs being fetched are spooled while clients read them (default: <c>DATADIR/mirror-spool</c>).</summary>
    public string? SpoolDir { get; set; }

    /// <summary>Concurrent upstream blob fetches over all upstreams (misses beyond wait).</summary>
    [Range(1, 1024)]
    public int MaxConcurrentFetches { get; set; } = 32;

    public bool Enabled => Upstreams.Count > 0;

    public UpstreamOptions? Find(string name) => Upstreams.FirstOrDefault(u => string.Equals(u.Name, name, StringComparison.Ordinal));
}

/// <summary>One upstream registry: where it is, how to log in, what may come in, how fresh tags must be.</summary>
public sealed class UpstreamOptions
{
    /// <summary>Its name in Bollard's namespace (one path component: <c>docker.io</c>, <c>ghcr.io</c>, <c>local</c>).</summary>
    public string Name { get; set; } = "";

    /// <summary>The registry's base URL: <c>https://registry-1.docker.io</c>; plain <c>http://</c> is allowed (tests, a local registry).</summary>
    public string Url { get; set; } = "";

    public string? Username { get; set; }

    /// <summary>A password or token; prefer <see cref="PasswordFile"/> (a file read at start, so the secret is not in the config).</summary>
    public string? Password { get; set; }

    public string? PasswordFile { get; set; }

    /// <summary>A tag is revalidated with the upstream (a HEAD) at most this often; within it, no upstream request at all.</summary>
    public TimeSpan TagTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one upstream request may take to answer (headers) before the cache is served instead.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The largest manifest accepted from this upstream.</summary>
    public int MaxManifestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The largest blob accepted from this upstream (a stream that goes on past it is cut and nothing is stored).</summary>
    public long MaxBlobBytes { get; set; } = 64L * 1024 * 1024 * 1024;

    /// <summary>Repository patterns (upstream names, <c>library/*</c>, <c>bitnami/**</c>) that may come in; empty: all.</summary>
    public List<string> AllowRepositories { get; set; } = [];

    public List<string> DenyRepositories { get; set; } = [];

    /// <summary>Tag patterns (<c>3.*</c>, <c>*-slim</c>) that may come in; empty: all.</summary>
    public List<string> AllowTags { get; set; } = [];

    public List<string> DenyTags { get; set; } = [];

    /// <summary>Digests that never come in (a known-bad image).</summary>
    public List<string> DenyDigests { get; set; } = [];

    /// <summary>
    /// Hosts besides the upstream's own that its token realm and blob redirects may name (<c>auth.docker.io</c>,
    /// <c>production.cloudflare.docker.com</c>). Redirects go only to HTTPS or to these hosts.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>Upstream references (<c>library/debian:bookworm</c>) pre-fetched on <see cref="SyncInterval"/>.</summary>
    public List<string> Sync { get; set; } = [];

    /// <summary>How often the <see cref="Sync"/> list is fetched; 0: only on demand.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Cached images not pulled for this long are removed (GC then frees their bytes); null: kept.</summary>
    public TimeSpan? EvictAfter { get; set; }

    /// <summary>Bring the cosign signatures, Sigstore bundles and other referrers of a fetched image along.</summary>
    public bool MirrorSignatures { get; set; } = true;
}
