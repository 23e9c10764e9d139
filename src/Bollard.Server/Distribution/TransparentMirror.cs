using Bollard.Core.Mirror;
using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Distribution;

/// <summary>
/// The transparent side of the mirror (issue 10) as the HTTP layer meets it: a Docker daemon with
/// <c>registry-mirrors</c> or podman with <c>[[registry.mirror]]</c> asks for <c>library/alpine</c>, containerd's
/// <c>hosts.toml</c> adds <c>?ns=docker.io</c>; both mean <c>mirror/docker.io/library/alpine</c>. Routing, not a
/// handler's business: the dispatcher maps the name of a read before authorizing it, and the token endpoint judges a
/// requested scope on the same mapped name, so the token a client gets passes the gate of the request it retries.
/// A repository that exists locally under the asked name always wins (<see cref="MirrorRouter.MapTransparentAsync"/>).
/// </summary>
public sealed class TransparentMirror(MirrorRouter router, IRepositoryStore repositories)
{
    /// <summary>The query parameter containerd adds to a mirrored request: the registry host it stands in for.</summary>
    public const string NamespaceParameter = "ns";

    public bool Enabled => router.Options.Enabled;

    /// <returns>The mirrored repository that a read of <paramref name="name"/> means, or null to serve it as it is.</returns>
    public ValueTask<RepositoryName?> MapAsync(string name, string? ns, CancellationToken ct) =>
        router.Options.Enabled
            ? router.MapTransparentAsync(name, ns, local => repositories.ExistsAsync(local, ct))
            : ValueTask.FromResult<RepositoryName?>(null);

    /// <summary>The <c>?ns=</c> of a request (<c>/v2/</c> or <c>/auth/token</c>), or null.</summary>
    public static string? NamespaceOf(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Query.TryGetValue(NamespaceParameter, out var ns) && ns.Count == 1 && ns[0] is { Length: > 0 and <= 255 } value ? value : null;
    }
}
