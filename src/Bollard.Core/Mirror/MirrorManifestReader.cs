using System.Collections.Concurrent;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;

namespace Bollard.Core.Mirror;

/// <summary>
/// The manifest side of the pull-through mirror (issue 10): decorates the stored <see cref="IManifestReader"/> for the
/// repositories <see cref="MirrorRouter.Resolve"/> maps to an upstream (every other name goes straight to the inner reader).
/// <list type="bullet">
/// <item>By digest: cached, served; else vetted, charged to the client (<see cref="IMirrorFetchLimiter"/>), fetched by
/// digest and stored byte-exact through <see cref="ManifestService.StoreFetchedAsync"/>. An index is stored whole and its
/// children only when a client asks for them, so only the platform pulled comes in.</item>
/// <item>By tag: within <see cref="UpstreamOptions.TagTtl"/> of the last upstream answer (or failure), served with no
/// upstream request at all; after it, one HEAD: the same digest is recorded as checked, a new one is fetched and the
/// tag moves, a 404 or any failure keeps the cached one served, stale, and says why (<see cref="ManifestRecord.Freshness"/>,
/// the <c>Bollard-Mirror</c> and <c>Warning</c> headers). Not cached at all: fetched, or a clear error naming the upstream.</item>
/// </list>
/// Concurrent misses (and revalidations) of one (repository, reference) share one upstream request. Every fetch is
/// counted (<see cref="MirrorCounters"/>; upstream errors not here: the upstream client counts each failed request once) and reported (<see cref="IMirrorFetchObserver"/>). A new image's signatures
/// and referrers follow in the background (<see cref="MirrorSignatureFetches"/>). Thread-safe.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The semaphore's wait handle is never created (no AvailableWaitHandle), so it holds nothing to release; it lives as long as the process.")]
public sealed class MirrorManifestReader(
    IManifestReader inner,
    MirrorRouter router,
    IUpstreamRegistry upstream,
    IMirrorStore tags,
    Func<ManifestService> manifests,
    IMirrorFetchLimiter limiter,
    IMirrorFetchObserver observer,
    MirrorCounters counters,
    TimeProvider time,
    MirrorSignatureFetches? signatures = null) : IManifestReader
{
    private readonly SingleFlight<(string Repository, string Reference), ManifestRecord?> _flights = new();

    /// <summary>
    /// Upstream manifest requests (GET and HEAD) in flight at once, at most <see cref="MirrorOptions.MaxConcurrentFetches"/>
    /// (as blob fetches, in a pool of their own so long blob transfers never hold manifests up): a sync of many images,
    /// or many clients missing different manifests, wait for a slot instead of opening any number of upstream requests.
    /// </summary>
    private readonly SemaphoreSlim _slots = new(router.Options.MaxConcurrentFetches, router.Options.MaxConcurrentFetches);
    private readonly ConcurrentDictionary<UpstreamOptions, MirrorVetting> _vetting = new();

    /// <summary>Bollard's own reads (scanner, trust, signatures of a fetched image): fetch on a miss, never limited.</summary>
    public ValueTask<ManifestRecord?> GetAsync(RepositoryName repository, Reference reference, CancellationToken ct) =>
        ReadAsync(repository, reference, client: null, ct);

    /// <summary>A client's pull: a fetch is charged to <paramref name="actor"/>; upstream 404 of content not cached is <c>MANIFEST_UNKNOWN</c>.</summary>
    /// <exception cref="OciException"><c>DENIED</c> (vetting), <c>TOOMANYREQUESTS</c> (the limiter or the upstream),
    /// <c>UNAVAILABLE</c> 502/504 (the upstream failed and nothing is cached), <c>MANIFEST_UNKNOWN</c>.</exception>
    public ValueTask<ManifestRecord?> GetAsync(RepositoryName repository, Reference reference, RegistryActor actor, CancellationToken ct) =>
        ReadAsync(repository, reference, client: actor, ct);

    private async ValueTask<ManifestRecord?> ReadAsync(RepositoryName repository, Reference reference, RegistryActor? client, CancellationToken ct)
    {
        if (router.Resolve(repository) is not { } route)
            return client is null ? await inner.GetAsync(repository, reference, ct).ConfigureAwait(false)
                : await inner.GetAsync(repository, reference, client, ct).ConfigureAwait(false);
        var record = reference.Digest is { } digest
            ? await ByDigestAsync(route, digest, client, ct).ConfigureAwait(false)
            : await ByTagAsync(route, reference.Tag!, client, ct).ConfigureAwait(false);
        // Null only when the upstream does not have it either: internal readers get null as from the store, a client the why.
        if (record is null && client is not null)
            throw new OciException(OciErrors.ManifestUnknown, $"{repository}:{reference} is not cached and upstream {route.Upstream.Name} does not have {route.UpstreamRepository}:{reference}");
        return record;
    }

    private async Task<ManifestRecord?> ByDigestAsync(MirrorRoute route, Digest digest, RegistryActor? client, CancellationToken ct)
    {
        var reference = new Reference(null, digest);
        if (await inner.GetAsync(route.Local, reference, ct).ConfigureAwait(false) is { } cached)
        {
            counters.For(route.Upstream.Name).ManifestHit();
            return cached;
        }
        string what = $"{route.Local}@{digest}";
        Vet(route, what, null, digest);
        var key = (route.Local.Value, digest.ToString());
        if (!_flights.IsRunning(key)) Charge(client, what);
        return await _flights.RunAsync(key, () => FetchAsync(route, reference, client ?? RegistryActor.Unknown, what), ct).ConfigureAwait(false);
    }

    private async Task<ManifestRecord?> ByTagAsync(MirrorRoute route, string tag, RegistryActor? client, CancellationToken ct)
    {
        var reference = new Reference(tag, null);
        var state = await tags.GetTagAsync(route.Local, tag, ct).ConfigureAwait(false);
        var cached = await inner.GetAsync(route.Local, reference, ct).ConfigureAwait(false);
        var key = (route.Local.Value, tag);
        string what = $"{route.Local}:{tag}";
        var c = counters.For(route.Upstream.Name);
        if (cached is null)
        {
            Vet(route, what, tag, null);
            if (!_flights.IsRunning(key)) Charge(client, what);
            return await _flights.RunAsync(key, () => FetchAsync(route, reference, client ?? RegistryActor.Unknown, what), ct).ConfigureAwait(false);
        }

        // A state for another digest than the cached tag's (or none: the tag came in some other way, a push or a restore)
        // is not a check of it: it counts as checked when its manifest was stored.
        var known = state is not null && state.Digest == cached.Digest ? state : null;
        var now = time.GetUtcNow();
        if (now - LastAsked(known ?? Unchecked(route, tag, cached)) < route.Upstream.TagTtl)
        {
            c.ManifestHit();
            if (known?.Stale == true) c.ServedStale();
            return Serve(route, cached, known ?? Unchecked(route, tag, cached));
        }
        // Only what is fetched is judged: a tag the lists no longer let in stays served as cached, without asking upstream.
        var vetting = Vetting(route);
        if ((vetting.CheckRepository(route.UpstreamRepository) ?? vetting.CheckTag(tag)) is not null)
        {
            c.ManifestHit();
            return Serve(route, cached, known ?? Unchecked(route, tag, cached));
        }
        if (!_flights.IsRunning(key) && client is not null && limiter.TryAcquire(client) is not null)
        {
            // The client may not cause another upstream request now. The limit guards the upstream, not the cache: it gets
            // the cached manifest, stale (not recorded: the next client within its limit revalidates), where a true miss
            // is 429 (Charge). See IMirrorFetchLimiter.TryAcquire; MirrorFetchLimitTests.
            c.ServedStale();
            var postponed = (known ?? Unchecked(route, tag, cached)) with { FailedAt = now, LastError = "revalidation postponed: the client's mirror fetch rate limit" };
            return Serve(route, cached, postponed);
        }
        return await _flights.RunAsync(key, () => RevalidateAsync(route, tag, cached, known, client ?? RegistryActor.Unknown), ct).ConfigureAwait(false);
    }

    /// <summary>A miss: one GET; stored; null when the upstream says 404.</summary>
    private async Task<ManifestRecord?> FetchAsync(MirrorRoute route, Reference reference, RegistryActor actor, string what)
    {
        var c = counters.For(route.Upstream.Name);
        UpstreamManifest? fetched;
        try
        {
            fetched = await BoundedAsync(() => upstream.GetManifestAsync(route, reference, CancellationToken.None)).ConfigureAwait(false);
        }
        catch (UpstreamException e)
        {
            observer.Fetched(actor, route, "manifest", reference.ToString(), MirrorFailures.Reason(e));
            throw MirrorFailures.NotCached(route, what, e);
        }
        if (fetched is null)
        {
            observer.Fetched(actor, route, "manifest", reference.ToString(), "not found upstream (404)");
            return null;
        }
        if (Vetting(route).CheckDigest(fetched.Digest) is { } denied)
        {
            observer.Fetched(actor, route, "manifest", reference.ToString(), denied);
            throw new OciException(OciErrors.Denied, $"{what} is not let in from upstream {route.Upstream.Name}: {denied}");
        }
        ManifestRecord? record;
        try
        {
            record = await StoreAsync(route, reference, fetched, actor).ConfigureAwait(false);
        }
        catch (OciException e)
        {
            observer.Fetched(actor, route, "manifest", reference.ToString(), $"refused: {e.Message}");
            throw;
        }
        c.ManifestMiss();
        c.Fetched(fetched.Body.LongLength);
        observer.Fetched(actor, route, "manifest", reference.ToString(), null);
        if (record is null || reference.Tag is not { } tag) return record;
        var state = new MirrorTagState(route.Local, tag, record.Digest, time.GetUtcNow(), null, null, false);
        await tags.SetTagAsync(state, CancellationToken.None).ConfigureAwait(false);
        return Serve(route, record, state);
    }

    /// <summary>A cached tag past its TTL: one HEAD, and a GET only when the tag moved. Never fails: the cache is served stale instead.</summary>
    private async Task<ManifestRecord?> RevalidateAsync(MirrorRoute route, string tag, ManifestRecord cached, MirrorTagState? known, RegistryActor actor)
    {
        var c = counters.For(route.Upstream.Name);
        var reference = new Reference(tag, null);
        var now = time.GetUtcNow();
        c.Revalidated();
        UpstreamManifestHead? head;
        try
        {
            head = await BoundedAsync(() => upstream.HeadManifestAsync(route, reference, CancellationToken.None)).ConfigureAwait(false);
        }
        catch (UpstreamException e)
        {
            return await StaleAsync(route, tag, cached, known, actor, MirrorFailures.Reason(e)).ConfigureAwait(false);
        }
        if (head is null)
        {
            // Removed upstream: the upstream did answer (the TTL counts from now), and the cached one stays until an admin removes it.
            var removed = new MirrorTagState(route.Local, tag, cached.Digest, now, null, "tag removed upstream (404)", RemovedUpstream: true);
            await tags.SetTagAsync(removed, CancellationToken.None).ConfigureAwait(false);
            observer.Fetched(actor, route, "revalidate", tag, removed.LastError);
            c.ServedStale();
            return Serve(route, cached, removed);
        }
        if (head.Digest == cached.Digest)
        {
            var same = new MirrorTagState(route.Local, tag, cached.Digest, now, null, null, false);
            await tags.SetTagAsync(same, CancellationToken.None).ConfigureAwait(false);
            observer.Fetched(actor, route, "revalidate", tag, null);
            return Serve(route, cached, same);
        }

        // The tag moved upstream: the new manifest is judged like any other that comes in.
        if (Vetting(route).CheckDigest(head.Digest) is { } denied)
            return await StaleAsync(route, tag, cached, known, actor, $"the tag moved upstream to {head.Digest}, which is not let in: {denied}").ConfigureAwait(false);
        UpstreamManifest? fetched;
        try
        {
            fetched = await BoundedAsync(() => upstream.GetManifestAsync(route, new Reference(null, head.Digest), CancellationToken.None)).ConfigureAwait(false);
        }
        catch (UpstreamException e)
        {
            return await StaleAsync(route, tag, cached, known, actor, MirrorFailures.Reason(e)).ConfigureAwait(false);
        }
        if (fetched is null)
            return await StaleAsync(route, tag, cached, known, actor, $"the upstream named {head.Digest} for the tag, then said 404 for it").ConfigureAwait(false);
        ManifestRecord? moved;
        try
        {
            moved = await StoreAsync(route, reference, fetched, actor).ConfigureAwait(false);
        }
        catch (OciException e)
        {
            return await StaleAsync(route, tag, cached, known, actor, $"the tag's new manifest {fetched.Digest} was refused: {e.Message}").ConfigureAwait(false);
        }
        c.ManifestMiss();
        c.Fetched(fetched.Body.LongLength);
        observer.Fetched(actor, route, "manifest", tag, null);
        if (moved is null) return Serve(route, cached, known ?? Unchecked(route, tag, cached));
        var state = new MirrorTagState(route.Local, tag, moved.Digest, now, null, null, false);
        await tags.SetTagAsync(state, CancellationToken.None).ConfigureAwait(false);
        return Serve(route, moved, state);
    }

    /// <summary>The revalidation failed: recorded (no retry within the TTL) and the cached manifest served, stale.</summary>
    private async Task<ManifestRecord> StaleAsync(MirrorRoute route, string tag, ManifestRecord cached, MirrorTagState? known, RegistryActor actor, string reason)
    {
        var state = new MirrorTagState(route.Local, tag, cached.Digest, known?.CheckedAt ?? cached.CreatedAt, time.GetUtcNow(), reason, known?.RemovedUpstream ?? false);
        await tags.SetTagAsync(state, CancellationToken.None).ConfigureAwait(false);
        observer.Fetched(actor, route, "revalidate", tag, reason);
        counters.For(route.Upstream.Name).ServedStale();
        return Serve(route, cached, state);
    }

    /// <summary>Stores what was fetched (byte-exact, with the push checks and events of a push) and reads it back as stored.</summary>
    private async Task<ManifestRecord?> StoreAsync(MirrorRoute route, Reference reference, UpstreamManifest fetched, RegistryActor actor)
    {
        var (digest, parsed) = await manifests().StoreFetchedAsync(route.Local, reference, fetched.Body, fetched.MediaType, null, actor, CancellationToken.None).ConfigureAwait(false);
        // Signatures and referrers are artifacts themselves: theirs are not followed (bounded: one level).
        if (signatures is not null && route.Upstream.MirrorSignatures && parsed.Subject is null
            && !(reference.Tag is { } tag && ManifestService.IsCosignSchemeTag(tag)))
            await signatures.EnqueueAsync(route.Local, digest, CancellationToken.None).ConfigureAwait(false);
        return await inner.GetAsync(route.Local, new Reference(null, digest), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>One upstream manifest request in a slot of <see cref="_slots"/> (each request is bounded by the upstream's timeout, so slots come free).</summary>
    private async Task<T> BoundedAsync<T>(Func<Task<T>> request)
    {
        await _slots.WaitAsync().ConfigureAwait(false);
        try
        {
            return await request().ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    private void Vet(MirrorRoute route, string what, string? tag, Digest? digest)
    {
        var vetting = Vetting(route);
        string? refusal = vetting.CheckRepository(route.UpstreamRepository)
            ?? (tag is null ? null : vetting.CheckTag(tag))
            ?? (digest is { } d ? vetting.CheckDigest(d) : null);
        if (refusal is not null) throw new OciException(OciErrors.Denied, $"{what} is not let in from upstream {route.Upstream.Name}: {refusal}");
    }

    private void Charge(RegistryActor? client, string what)
    {
        if (client is not null && limiter.TryAcquire(client) is { } wait) throw MirrorFailures.RateLimited(what, wait);
    }

    private MirrorVetting Vetting(MirrorRoute route) => _vetting.GetOrAdd(route.Upstream, u => new MirrorVetting(u));

    private static DateTimeOffset LastAsked(MirrorTagState state) =>
        state.FailedAt is { } failed && failed > state.CheckedAt ? failed : state.CheckedAt;

    /// <summary>A cached tag the mirror has no record of asking about: as checked when it was stored.</summary>
    private static MirrorTagState Unchecked(MirrorRoute route, string tag, ManifestRecord cached) =>
        new(route.Local, tag, cached.Digest, cached.CreatedAt, null, null, false);

    private static ManifestRecord Serve(MirrorRoute route, ManifestRecord record, MirrorTagState state) => record with
    {
        Freshness = new CacheFreshness(route.Upstream.Name, state.CheckedAt, state.Stale,
            state.Stale ? state.LastError ?? (state.RemovedUpstream ? "tag removed upstream" : "upstream failed") : null),
    };
}
