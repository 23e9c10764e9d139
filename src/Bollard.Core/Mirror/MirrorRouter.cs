using Bollard.Core.Oci;

namespace Bollard.Core.Mirror;

/// <summary>
/// Maps repository names to upstreams, both ways the issue asks for: by prefix (<see cref="Resolve"/>:
/// <c>mirror/docker.io/library/alpine</c>), and transparently (<see cref="MapTransparent"/>: a Docker daemon, podman or
/// containerd asking for <c>library/alpine</c>, with or without <c>?ns=docker.io</c>, is given the mirrored repository).
/// Pure: no I/O; names that are not valid repository names never map.
/// </summary>
public sealed class MirrorRouter(MirrorOptions options)
{
    public MirrorOptions Options => options;

    /// <summary>The mirror namespace prefix with its slash: <c>mirror/</c>.</summary>
    public string Prefix => options.Namespace + "/";

    /// <returns>The upstream repository that <paramref name="local"/> mirrors, or null when it is not a mirrored name.</returns>
    public MirrorRoute? Resolve(RepositoryName local)
    {
        if (!options.Enabled || !local.Value.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        string rest = local.Value[Prefix.Length..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1) return null;
        var upstream = options.Find(rest[..slash]);
        if (upstream is null) return null;
        string repository = rest[(slash + 1)..];
        // Docker Hub's official images: docker.io/alpine is docker.io/library/alpine.
        if (IsDockerHub(upstream) && !repository.Contains('/', StringComparison.Ordinal)) repository = "library/" + repository;
        return new MirrorRoute(upstream, repository, local);
    }

    /// <summary>
    /// The mirrored repository a transparent request for <paramref name="name"/> means: with <paramref name="ns"/>
    /// (containerd's <c>?ns=docker.io</c>) the upstream of that name; without it <see cref="MirrorOptions.Transparent"/>,
    /// but only when <paramref name="existsLocally"/> says no repository <paramref name="name"/> exists (a local
    /// repository always wins). Names already under the mirror prefix are not mapped again.
    /// </summary>
    /// <returns>The local (mirrored) repository name to serve, or null to serve <paramref name="name"/> as it is.</returns>
    public async ValueTask<RepositoryName?> MapTransparentAsync(string name, string? ns, Func<RepositoryName, ValueTask<bool>> existsLocally)
    {
        ArgumentNullException.ThrowIfNull(existsLocally);
        if (!options.Enabled || string.IsNullOrEmpty(name) || name.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        UpstreamOptions? upstream;
        if (!string.IsNullOrEmpty(ns))
        {
            upstream = options.Find(ns) ?? options.Upstreams.FirstOrDefault(u => HostOf(u).Equals(ns, StringComparison.OrdinalIgnoreCase));
            if (upstream is null) return null;
        }
        else
        {
            if (options.Transparent is not { Length: > 0 } t || options.Find(t) is not { } fallback) return null;
            if (RepositoryName.TryParse(name, out var asIs) && await existsLocally(asIs).ConfigureAwait(false)) return null;
            upstream = fallback;
        }
        string local = $"{Prefix}{upstream.Name}/{name}";
        return RepositoryName.TryParse(local, out var mapped) ? mapped : null;
    }

    public static bool IsDockerHub(UpstreamOptions upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        return upstream.Name == "docker.io" || HostOf(upstream) is "registry-1.docker.io" or "docker.io" or "index.docker.io";
    }

    /// <summary>The host (and port) of an upstream's URL, or "" when it does not parse.</summary>
    public static string HostOf(UpstreamOptions upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        return Uri.TryCreate(upstream.Url, UriKind.Absolute, out var u) ? u.Authority : "";
    }
}
