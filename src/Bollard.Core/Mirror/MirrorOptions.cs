using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Bollard.Core.Oci;

namespace Bollard.Core.Mirror;

/// <summary>
/// The pull-through mirror (issue 10), bound from the <c>Mirror</c> section. Each upstream is mapped into Bollard's
/// namespace under <c>&lt;Namespace&gt;/&lt;upstream name&gt;/&lt;upstream repository&gt;</c>
/// (<c>mirror/docker.io/library/alpine</c>); requests without the prefix reach an upstream transparently through
/// <c>?ns=&lt;upstream name&gt;</c> (containerd) or <see cref="Transparent"/> (a Docker daemon's
/// <c>registry-mirrors</c>, podman's <c>[[registry.mirror]]</c>). No upstream: the mirror is off.
/// </summary>
public sealed class MirrorOptions : IValidatableObject
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

    /// <summary>Concurrent upstream blob fetches over all upstreams, and as many manifest requests in their own pool (more wait).</summary>
    [Range(1, 1024)]
    public int MaxConcurrentFetches { get; set; } = 32;

    public bool Enabled => Upstreams.Count > 0;

    public UpstreamOptions? Find(string name) => Upstreams.FirstOrDefault(u => string.Equals(u.Name, name, StringComparison.Ordinal));

    /// <summary>
    /// What the binder cannot tell: names unique and each one repository path component, URLs absolute http(s),
    /// <see cref="Transparent"/> naming an upstream, the namespace a repository name, the vetting lists parseable and
    /// password files readable. Each result names its member (<c>Upstreams:1:Url</c>), so <c>bollard serve</c> reports
    /// the setting and where it came from.
    /// </summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!RepositoryName.TryParse(Namespace, out _))
            yield return new ValidationResult($"'{Namespace}' is not a repository name (lowercase path components such as mirror)", [nameof(Namespace)]);
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < Upstreams.Count; i++)
        {
            var u = Upstreams[i];
            string at = $"{nameof(Upstreams)}:{i.ToString(CultureInfo.InvariantCulture)}";
            if (u.Name.Length == 0)
                yield return new ValidationResult("must be given (the upstream's name in Bollard's namespace, such as docker.io)", [$"{at}:{nameof(UpstreamOptions.Name)}"]);
            else if (u.Name.Contains('/', StringComparison.Ordinal) || !RepositoryName.TryParse(u.Name, out _))
                yield return new ValidationResult($"'{u.Name}' is not one repository path component (lowercase letters, digits and . _ -, such as docker.io or ghcr.io)", [$"{at}:{nameof(UpstreamOptions.Name)}"]);
            else if (seen.TryGetValue(u.Name, out int first))
                yield return new ValidationResult($"'{u.Name}' is the name of {nameof(Upstreams)}:{first.ToString(CultureInfo.InvariantCulture)} too; upstream names must be unique", [$"{at}:{nameof(UpstreamOptions.Name)}"]);
            else seen[u.Name] = i;
            if (!Uri.TryCreate(u.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Host.Length == 0)
                yield return new ValidationResult($"'{u.Url}' is not an absolute http:// or https:// URL (such as https://registry-1.docker.io)", [$"{at}:{nameof(UpstreamOptions.Url)}"]);
            else if (url.UserInfo.Length > 0)
                yield return new ValidationResult("must not hold credentials: use Username and PasswordFile", [$"{at}:{nameof(UpstreamOptions.Url)}"]);
            foreach (var problem in MirrorVetting.Validate(u))
                yield return new ValidationResult(problem, [$"{at}:{VettingKey(u, problem)}"]);
            if (u.Password is { Length: > 0 } && u.PasswordFile is { Length: > 0 })
                yield return new ValidationResult("and Password are both given; keep one (PasswordFile keeps the secret out of the configuration)", [$"{at}:{nameof(UpstreamOptions.PasswordFile)}"]);
            if (u.PasswordFile is { Length: > 0 } file && Unreadable(file) is { } why)
                yield return new ValidationResult($"'{file}' cannot be read: {why}", [$"{at}:{nameof(UpstreamOptions.PasswordFile)}"]);
            if (u.TagTtl < TimeSpan.Zero)
                yield return new ValidationResult("must not be negative", [$"{at}:{nameof(UpstreamOptions.TagTtl)}"]);
            if (u.Timeout <= TimeSpan.Zero)
                yield return new ValidationResult("must be longer than 0", [$"{at}:{nameof(UpstreamOptions.Timeout)}"]);
            if (u.MaxManifestBytes <= 0)
                yield return new ValidationResult("must be more than 0", [$"{at}:{nameof(UpstreamOptions.MaxManifestBytes)}"]);
            if (u.MaxBlobBytes <= 0)
                yield return new ValidationResult("must be more than 0", [$"{at}:{nameof(UpstreamOptions.MaxBlobBytes)}"]);
            if (u.SyncInterval < TimeSpan.Zero)
                yield return new ValidationResult("must not be negative (0: only on demand)", [$"{at}:{nameof(UpstreamOptions.SyncInterval)}"]);
        }
        if (Transparent is { Length: > 0 } t && Find(t) is null)
            yield return new ValidationResult(Upstreams.Count == 0
                ? $"'{t}' names no upstream (Mirror:Upstreams is empty)"
                : $"'{t}' names no upstream (known: {string.Join(", ", Upstreams.Select(u => u.Name))})", [nameof(Transparent)]);
    }

    /// <summary>The list a vetting problem is about, so the error names it (the problem text quotes the bad entry).</summary>
    private static string VettingKey(UpstreamOptions u, string problem)
    {
        (string Key, List<string> Values)[] lists =
        [
            (nameof(u.AllowRepositories), u.AllowRepositories), (nameof(u.DenyRepositories), u.DenyRepositories),
            (nameof(u.AllowTags), u.AllowTags), (nameof(u.DenyTags), u.DenyTags), (nameof(u.DenyDigests), u.DenyDigests),
        ];
        foreach (var (key, values) in lists)
            for (int i = 0; i < values.Count; i++)
                if (problem.Contains($"'{values[i]}'", StringComparison.Ordinal)) return $"{key}:{i.ToString(CultureInfo.InvariantCulture)}";
        return nameof(u.AllowRepositories);
    }

    private static string? Unreadable(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return e.Message;
        }
    }
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

    /// <summary>Digests that never come in (a known-bad image, or a layer: the blob reader refuses those too).</summary>
    public List<string> DenyDigests { get; set; } = [];

    /// <summary>
    /// Hosts besides the upstream's own that its token realm and blob redirects may name (<c>auth.docker.io</c>,
    /// <c>production.cloudflare.docker.com</c>). Redirects go only to HTTPS or to these hosts.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>Upstream references (<c>library/debian:bookworm</c>) pre-fetched on <see cref="SyncInterval"/>.</summary>
    public List<string> Sync { get; set; } = [];

    /// <summary>The platforms of an index the <see cref="Sync"/> list fetches (<c>linux/amd64</c>, <c>linux/arm64</c>); empty: all.</summary>
    public List<string> SyncPlatforms { get; set; } = [];

    /// <summary>How often the <see cref="Sync"/> list is fetched; 0: only on demand.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Cached images not pulled for this long are removed (GC then frees their bytes); null: kept.</summary>
    public TimeSpan? EvictAfter { get; set; }

    /// <summary>Bring the cosign signatures, Sigstore bundles and other referrers of a fetched image along.</summary>
    public bool MirrorSignatures { get; set; } = true;
}
