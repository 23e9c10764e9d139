using Bollard.Core.Auth;
using Bollard.Core.Mirror.Sync;
using Bollard.Core.Oci;
using Bollard.Core.Registry;

namespace Bollard.Core.Mirror.Eviction;

/// <summary>
/// The management API's view of the cache, with its authorization in one place: listing cached tags shows only those
/// of repositories the caller may pull; forgetting a tag (issue 10: "a tag removed upstream stays served until an admin
/// says otherwise") takes the maintainer right on the mirrored repository, removes the tag through
/// <see cref="ManifestService.DeleteAsync(RepositoryName, Reference, RegistryActor, CancellationToken)"/> (push checks,
/// events; GC then frees what only it held) and its tag state, and is audited as <c>mirror.forget</c>.
/// </summary>
public sealed class MirrorCacheManagement(
    MirrorRouter router, IMirrorStore store, ManifestService manifests, RepositoryManagement repositories, AccessEvaluator access, AuditRecorder audit)
{
    public const string ForgetAction = "mirror.forget";

    /// <summary>The most tag states one listing reads.</summary>
    public const int MaxList = 10_000;

    public MirrorRouter Router => router;

    /// <param name="repository">Only this mirrored repository (its local name, or <c>docker.io/library/debian</c>); null: all.</param>
    /// <param name="stale">Only stale tags (true), only fresh ones (false), or all (null).</param>
    public async Task<IReadOnlyList<(MirrorTagState State, MirrorRoute Route)>> ListTagsAsync(
        RegistryCaller caller, string? repository, bool? stale, int limit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.Unrestricted && !caller.Principal.IsAuthenticated) throw new ManagementException(ManagementError.Unauthorized, "authentication required");
        RepositoryName? only = null;
        if (repository is { Length: > 0 })
        {
            // A repository is named like a sync reference without its tag.
            if (!MirrorSyncTarget.TryParse(router, repository, out var target, out var problem, vet: false))
                throw new ManagementException(ManagementError.BadRequest, problem);
            only = target!.Route.Local;
        }
        var states = await store.ListTagsAsync(only, Math.Clamp(limit, 1, MaxList), ct).ConfigureAwait(false);
        var visible = new Dictionary<string, bool>(StringComparer.Ordinal);
        var list = new List<(MirrorTagState, MirrorRoute)>();
        foreach (var state in states)
        {
            if (stale is { } s && state.Stale != s) continue;
            if (router.Resolve(state.Repository) is not { } route) continue; // its upstream is gone from the configuration
            if (!caller.Unrestricted)
            {
                if (!visible.TryGetValue(state.Repository.Value, out bool may))
                    visible[state.Repository.Value] = may = (await access.RightsAsync(caller.Principal, state.Repository.Value, ct).ConfigureAwait(false)).HasFlag(RepositoryAccess.Pull);
                if (!may) continue;
            }
            list.Add((state, route));
        }
        return list;
    }

    /// <summary>Cached and stale tags per upstream (at most <see cref="MaxList"/> tags read), for the upstreams listing.</summary>
    public async Task<IReadOnlyDictionary<string, (int Cached, int Stale)>> CountByUpstreamAsync(CancellationToken ct)
    {
        var counts = new Dictionary<string, (int Cached, int Stale)>(StringComparer.Ordinal);
        foreach (var state in await store.ListTagsAsync(null, MaxList, ct).ConfigureAwait(false))
        {
            if (router.Resolve(state.Repository) is not { } route) continue;
            var (cached, stale) = counts.GetValueOrDefault(route.Upstream.Name);
            counts[route.Upstream.Name] = (cached + 1, stale + (state.Stale ? 1 : 0));
        }
        return counts;
    }

    /// <summary>Removes a cached tag and its state, e.g. one the upstream removed (<see cref="MirrorTagState.RemovedUpstream"/>).</summary>
    /// <param name="reference"><c>docker.io/library/debian:bookworm</c> or <c>mirror/docker.io/library/debian:bookworm</c>.</param>
    /// <returns>The mirrored repository and tag removed.</returns>
    /// <exception cref="ManagementException">400 not a mirrored tag, 401/403 without the maintainer right, 404 not cached, 409 refused (an immutable tag).</exception>
    public async Task<(RepositoryName Repository, string Tag)> ForgetAsync(RegistryCaller caller, string? reference, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!MirrorSyncTarget.TryParse(router, reference, out var target, out var problem, vet: false))
            throw new ManagementException(ManagementError.BadRequest, problem);
        if (target!.Reference.Tag is not { } tag) throw new ManagementException(ManagementError.BadRequest, "name a tag (REPOSITORY:TAG), not a digest");
        var repository = await repositories.AuthorizeAsync(caller, target.Route.Local.Value, RepositoryAccess.Manage, ct).ConfigureAwait(false);
        var actor = new RegistryActor(caller.Principal.Name, caller.ClientAddress);
        bool hadState = await store.GetTagAsync(repository, tag, ct).ConfigureAwait(false) is not null;
        bool hadTag = true;
        try
        {
            await manifests.DeleteAsync(repository, new Reference(tag, null), actor, ct).ConfigureAwait(false);
        }
        catch (OciException e) when (e.Error == OciErrors.ManifestUnknown || e.Error == OciErrors.NameUnknown)
        {
            hadTag = false;
        }
        catch (OciException e)
        {
            audit.Record(caller.Principal.Name, caller.ClientAddress, ForgetAction, "denied", repository.Value, tag, detail: e.Detail);
            throw new ManagementException(ManagementError.Conflict, $"{repository}:{tag} was not removed: {e.Detail ?? e.Error.Message}");
        }
        if (hadState) await store.DeleteTagAsync(repository, tag, ct).ConfigureAwait(false);
        if (!hadTag && !hadState) throw new ManagementException(ManagementError.NotFound, $"{target} is not in the cache");
        audit.Record(caller.Principal.Name, caller.ClientAddress, ForgetAction, "success", repository.Value, tag, detail: $"upstream {target.Route}");
        return (repository, tag);
    }
}
