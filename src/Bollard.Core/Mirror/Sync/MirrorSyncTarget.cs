using Bollard.Core.Oci;

namespace Bollard.Core.Mirror.Sync;

/// <summary>
/// What a sync fetches: an upstream reference as people write it (<c>docker.io/library/debian:bookworm</c>,
/// <c>docker.io/debian</c>, <c>ghcr.io/org/app@sha256:...</c>; the mirror prefix <c>mirror/</c> may be written too),
/// mapped to the mirrored repository it is cached in. Docker Hub's official images get their <c>library/</c>, so
/// <c>docker.io/debian</c> is cached where a Docker daemon's transparent pull of <c>debian</c> looks for it.
/// </summary>
public sealed record MirrorSyncTarget(MirrorRoute Route, Reference Reference)
{
    /// <summary><c>docker.io/library/debian:bookworm</c>.</summary>
    public override string ToString() => $"{Route.Upstream.Name}/{Route.UpstreamRepository}{(Reference.Tag is { } tag ? ":" + tag : "@" + Reference.Digest)}";

    /// <param name="problem">Why it is not a sync reference (a sentence for the caller), when false.</param>
    /// <param name="vet">Check the upstream's allow and deny lists too (not when forgetting what is cached).</param>
    public static bool TryParse(MirrorRouter router, string? text, out MirrorSyncTarget? target, out string problem, bool vet = true)
    {
        ArgumentNullException.ThrowIfNull(router);
        target = null;
        problem = "";
        var options = router.Options;
        if (!options.Enabled)
        {
            problem = "the mirror is off: no upstream is configured (Mirror:Upstreams)";
            return false;
        }
        if (string.IsNullOrWhiteSpace(text) || text.Length > RepositoryName.MaxLength + 200)
        {
            problem = "give a reference such as docker.io/library/debian:bookworm";
            return false;
        }
        string rest = text.Trim();
        if (rest.StartsWith(router.Prefix, StringComparison.Ordinal)) rest = rest[router.Prefix.Length..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1)
        {
            problem = $"'{RepositoryName.Shorten(text)}' does not name an upstream: write UPSTREAM/REPOSITORY[:TAG|@DIGEST], e.g. docker.io/library/debian:bookworm";
            return false;
        }
        string upstreamName = rest[..slash];
        var upstream = options.Find(upstreamName);
        if (upstream is null)
        {
            problem = $"no upstream named '{RepositoryName.Shorten(upstreamName)}' (configured: {string.Join(", ", options.Upstreams.Select(u => u.Name))})";
            return false;
        }
        string path = rest[(slash + 1)..];
        Reference reference;
        int at = path.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            if (!Digest.TryParse(path[(at + 1)..], out var digest))
            {
                problem = $"'{RepositoryName.Shorten(path[(at + 1)..])}' is not a digest (sha256:<64 hex>)";
                return false;
            }
            reference = new Reference(null, digest);
            path = path[..at];
            // name:tag@digest: the digest decides, as for docker pull.
            int tagColon = path.LastIndexOf(':');
            if (tagColon > path.LastIndexOf('/')) path = path[..tagColon];
        }
        else
        {
            int colon = path.LastIndexOf(':');
            string tag = "latest";
            if (colon > path.LastIndexOf('/'))
            {
                tag = path[(colon + 1)..];
                path = path[..colon];
            }
            if (!Tag.IsValid(tag))
            {
                problem = $"'{RepositoryName.Shorten(tag)}' is not a valid tag";
                return false;
            }
            reference = new Reference(tag, null);
        }
        if (MirrorRouter.IsDockerHub(upstream) && path.Length > 0 && !path.Contains('/', StringComparison.Ordinal)) path = "library/" + path;
        if (!RepositoryName.TryParse(router.Prefix + upstream.Name + "/" + path, out var local) || router.Resolve(local) is not { } route)
        {
            problem = $"'{RepositoryName.Shorten(path)}' is not a valid repository name";
            return false;
        }
        if (!vet)
        {
            target = new MirrorSyncTarget(route, reference);
            return true;
        }
        var vetting = new MirrorVetting(upstream);
        string? refused = vetting.CheckRepository(route.UpstreamRepository)
            ?? (reference.Tag is { } t ? vetting.CheckTag(t) : vetting.CheckDigest(reference.Digest!.Value));
        if (refused is not null)
        {
            problem = refused;
            return false;
        }
        target = new MirrorSyncTarget(route, reference);
        return true;
    }
}
