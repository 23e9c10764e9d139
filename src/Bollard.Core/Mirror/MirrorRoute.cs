using Bollard.Core.Oci;

namespace Bollard.Core.Mirror;

/// <summary>
/// A repository of Bollard that mirrors a repository of an upstream: <see cref="Local"/>
/// <c>mirror/docker.io/library/alpine</c> is <see cref="UpstreamRepository"/> <c>library/alpine</c> of
/// <see cref="Upstream"/> <c>docker.io</c>.
/// </summary>
public sealed record MirrorRoute(UpstreamOptions Upstream, string UpstreamRepository, RepositoryName Local)
{
    public override string ToString() => $"{Upstream.Name}/{UpstreamRepository}";
}
