using Bollard.Core.Auth;
using Bollard.Core.Jobs;
using Bollard.Core.Mirror;
using Bollard.Core.Mirror.Eviction;
using Bollard.Core.Mirror.Sync;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary>
/// <c>/api/v1/mirror</c>: the pull-through mirror's upstreams with their counters, the cached tags with their
/// freshness, forgetting a cached tag, syncs (pre-fetch jobs with progress) and eviction runs (docs/mirror.md).
/// Reads need a login (tags: only repositories the caller may pull); forgetting and syncing need the maintainer right
/// on the mirrored repository (namespace maintainers, admins); eviction runs and upstream credentials are for admins.
/// </summary>
internal static class MirrorEndpoints
{
    private const int DefaultTagLimit = 1000;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/mirror/upstreams", async (HttpContext http, MirrorRouter router, MirrorCounters counters, MirrorCacheManagement cache, UpstreamCredentials credentials) =>
        {
            RequireLogin(await ManagementApi.CallerAsync(http));
            var counts = await cache.CountByUpstreamAsync(http.RequestAborted);
            var stored = await credentials.ListStoredAsync(http.RequestAborted);
            var options = router.Options;
            var upstreams = options.Upstreams.Select(u =>
            {
                var (cached, stale) = counts.GetValueOrDefault(u.Name);
                var row = stored.GetValueOrDefault(u.Name);
                return new MirrorUpstreamView(u.Name, u.Url, MirrorDurations.Of(u.TagTtl), u.Sync, u.SyncPlatforms, MirrorDurations.Of(u.SyncInterval),
                    u.EvictAfter is { } e ? MirrorDurations.Of(e) : null, MirrorCountersView.Of(counters.For(u.Name)), cached, stale,
                    new MirrorCredentialsView(row is not null, UpstreamCredentials.Source(u, row is not null), row?.UpdatedBy, row?.UpdatedAt));
            }).ToList();
            return Results.Ok(new MirrorUpstreamList(options.Namespace, options.Transparent, upstreams));
        }).WithSummary("The mirror's upstreams: URL, tag TTL, sync list, eviction, counters (hits, misses, revalidations, errors, bytes), cached/stale tags and where the credentials come from (logged-in callers)");

        api.MapPut("/mirror/upstreams/{name}/credentials", async (HttpContext http, string name, MirrorCredentialsRequestBody body, UpstreamCredentials credentials) =>
        {
            await credentials.SetAsync(await ManagementApi.CallerAsync(http), name, body.Username, body.Password, http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Store credentials for a configured upstream: {username, password}; sealed under the server's key-encryption key, never returned; they win over PasswordFile and Password (admin)");

        api.MapDelete("/mirror/upstreams/{name}/credentials", async (HttpContext http, string name, UpstreamCredentials credentials) =>
        {
            if (!await credentials.RemoveAsync(await ManagementApi.CallerAsync(http), name, http.RequestAborted))
                throw new ManagementException(ManagementError.NotFound, $"upstream {name} has no stored credentials");
            return Results.NoContent();
        }).WithSummary("Remove an upstream's stored credentials: the configuration's (if any) apply again (admin)");

        api.MapGet("/mirror/tags", async (HttpContext http, MirrorCacheManagement cache) =>
        {
            var q = http.Request.Query;
            bool? stale = ManagementParse.Optional(q["stale"]) is { } s ? Flag(s, "stale") : null;
            int limit = ManagementParse.Optional(q["limit"]) is { } l ? (int)Math.Min(ManagementParse.Id(l), MirrorCacheManagement.MaxList) : DefaultTagLimit;
            var tags = await cache.ListTagsAsync(await ManagementApi.CallerAsync(http), ManagementParse.Optional(q["repository"]), stale, limit, http.RequestAborted);
            return Results.Ok(new MirrorTagList(tags.Select(t => MirrorTagView.Of(t.State, t.Route)).ToList()));
        }).WithSummary("Cached tags with their digest, last upstream check and staleness; ?repository=docker.io/library/debian, ?stale=true, ?limit= (repositories the caller may pull)");

        api.MapDelete("/mirror/tags", async (HttpContext http, MirrorCacheManagement cache) =>
        {
            var q = http.Request.Query;
            string? reference = ManagementParse.Optional(q["reference"])
                ?? (ManagementParse.Optional(q["repository"]) is { } r && ManagementParse.Optional(q["tag"]) is { } t ? $"{r}:{t}" : null)
                ?? throw new ManagementException(ManagementError.BadRequest, "give ?reference=docker.io/library/debian:bookworm (or ?repository=&tag=)");
            await cache.ForgetAsync(await ManagementApi.CallerAsync(http), reference, http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Forget a cached tag (e.g. one removed upstream, which stays served until then): ?reference=docker.io/library/debian:bookworm (maintainer of the mirrored repository, admin)");

        api.MapPost("/mirror/sync", async (HttpContext http, MirrorSyncRequestBody body, MirrorSyncService syncs) =>
        {
            var (status, created) = await syncs.StartAsync(await ManagementApi.CallerAsync(http), body.Reference, body.Platforms, http.RequestAborted);
            var view = MirrorSyncView.Of(status, created);
            return created ? Results.Accepted($"/api/v1/mirror/sync/{status.Job.Id}", view) : Results.Ok(view);
        }).WithSummary("Pre-fetch an image into the cache: {reference, platforms}; answers with the job (the same sync already queued or running, if any) (maintainer of the mirrored repository, admin)");

        api.MapGet("/mirror/sync", async (HttpContext http, MirrorSyncService syncs, AccessEvaluator access) =>
        {
            var caller = await ManagementApi.CallerAsync(http);
            RequireLogin(caller);
            var list = new List<MirrorSyncView>();
            foreach (var s in await syncs.ListAsync(50, http.RequestAborted))
                if (await MayPullAsync(caller, syncs.Router, s, access, http.RequestAborted)) list.Add(MirrorSyncView.Of(s));
            return Results.Ok(new MirrorSyncList(list));
        }).WithSummary("The last syncs, newest first (those of repositories the caller may pull)");

        api.MapGet("/mirror/sync/{id}", async (HttpContext http, string id, MirrorSyncService syncs, AccessEvaluator access) =>
        {
            var caller = await ManagementApi.CallerAsync(http);
            RequireLogin(caller);
            var status = await syncs.GetAsync(ManagementParse.Id(id), http.RequestAborted);
            if (status is null || !await MayPullAsync(caller, syncs.Router, status, access, http.RequestAborted))
                throw new ManagementException(ManagementError.NotFound, $"no sync {id}");
            return Results.Ok(MirrorSyncView.Of(status));
        }).WithSummary("One sync with its progress: manifests, blobs, bytes, rate, ETA");

        api.MapDelete("/mirror/sync/{id}", async (HttpContext http, string id, MirrorSyncService syncs) =>
        {
            var result = await syncs.CancelAsync(await ManagementApi.CallerAsync(http), ManagementParse.Id(id), http.RequestAborted)
                ?? throw new ManagementException(ManagementError.NotFound, $"no sync {id}");
            if (!result.Cancelled && result.Status.Job.State is not JobState.Cancelled)
                throw new ManagementException(ManagementError.Conflict, $"sync {id} already ended ({result.Status.Job.State})");
            return Results.Ok(MirrorSyncView.Of(result.Status));
        }).WithSummary("Cancel a sync; a running one stops at its next lease renewal (maintainer of the mirrored repository, admin)");

        api.MapPost("/mirror/evict", async (HttpContext http, MirrorEvictionService eviction) =>
        {
            var (job, created) = await eviction.StartAsync(await ManagementApi.CallerAsync(http), http.RequestAborted);
            var view = MirrorEvictionView.Of(job, created);
            return created ? Results.Accepted($"/api/v1/mirror/evict/{job.Id}", view) : Results.Ok(view);
        }).WithSummary("Run eviction now (images not pulled for their upstream's evictAfter); answers with the run already queued or running if there is one (admin)");

        api.MapGet("/mirror/evict/{id}", async (HttpContext http, string id, MirrorEvictionService eviction) =>
        {
            var job = await eviction.GetAsync(await ManagementApi.CallerAsync(http), ManagementParse.Id(id), http.RequestAborted)
                ?? throw new ManagementException(ManagementError.NotFound, $"no eviction run {id}");
            return Results.Ok(MirrorEvictionView.Of(job));
        }).WithSummary("One eviction run and what it removed (admin)");
    }

    private static void RequireLogin(RegistryCaller caller)
    {
        if (!caller.Unrestricted && !caller.Principal.IsAuthenticated) throw new ManagementException(ManagementError.Unauthorized, "authentication required");
    }

    private static async Task<bool> MayPullAsync(RegistryCaller caller, MirrorRouter router, MirrorSyncStatus status, AccessEvaluator access, CancellationToken ct)
    {
        if (caller.Unrestricted || caller.Principal.IsAdmin) return true;
        if (!MirrorSyncTarget.TryParse(router, status.Request.Reference, out var target, out _, vet: false)) return false;
        return (await access.RightsAsync(caller.Principal, target!.Route.Local.Value, ct)).HasFlag(RepositoryAccess.Pull);
    }

    private static bool Flag(string value, string name) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new ManagementException(ManagementError.BadRequest, $"{name} must be true or false, not '{value}'"),
    };
}
