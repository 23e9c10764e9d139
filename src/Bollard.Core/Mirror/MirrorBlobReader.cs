using System.Collections.Concurrent;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;

namespace Bollard.Core.Mirror;

/// <summary>
/// The mirror's side of <see cref="IBlobReader"/> (distribution's <c>proxyblobstore</c>): names that
/// <see cref="MirrorRouter.Resolve"/> does not map, and blobs linked in the repository, are the inner reader's. A blob
/// that is not linked is served only when a manifest of the repository references it, so the mirror never becomes an
/// open proxy for arbitrary digests (anything else is <c>BLOB_UNKNOWN</c>, as without the mirror). When the store
/// already holds the bytes (another repository) they are linked, without asking the upstream; otherwise the miss
/// starts, or joins, the shared fetch of <see cref="BlobFetches"/> and reads its spool as it grows.
/// <para>
/// A miss's <see cref="StatAsync(RepositoryName, Digest, RegistryActor, CancellationToken)"/> waits for the upstream's
/// answer to know the size (its <c>Content-Length</c>; without one, for the verified end of the transfer). Only a
/// client's miss that starts a fetch counts against its fetch limit (<see cref="IMirrorFetchLimiter"/>); joining a
/// fetch in flight, a hit, and Bollard's own reads (the overloads without an actor) never do.
/// </para>
/// </summary>
public sealed class MirrorBlobReader(
    IBlobReader inner, MirrorRouter router, BlobFetches fetches, BlobService blobs, IRepositoryStore repositories, IManifestStore manifests,
    MirrorCounters counters) : IBlobReader
{
    public Task<BlobInfo> StatAsync(RepositoryName repository, Digest digest, CancellationToken ct) => StatCoreAsync(repository, digest, null, ct);

    public Task<BlobInfo> StatAsync(RepositoryName repository, Digest digest, RegistryActor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return StatCoreAsync(repository, digest, actor, ct);
    }

    public Task<Stream> OpenAsync(RepositoryName repository, Digest digest, ByteRange? range, CancellationToken ct) =>
        OpenCoreAsync(repository, digest, range, null, ct);

    public Task<Stream> OpenAsync(RepositoryName repository, Digest digest, ByteRange? range, RegistryActor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return OpenCoreAsync(repository, digest, range, actor, ct);
    }

    public async Task<Uri?> GetRedirectUriAsync(RepositoryName repository, Digest digest, CancellationToken ct)
    {
        // A blob being fetched is streamed from its spool; the store's URL exists only once it is linked. Asked only when
        // the store offers a URL at all (an object store): the filesystem store never does, so a hit costs no query here.
        var uri = await inner.GetRedirectUriAsync(repository, digest, ct).ConfigureAwait(false);
        if (uri is null || router.Resolve(repository) is null) return uri;
        return await repositories.IsBlobLinkedAsync(repository, digest, ct).ConfigureAwait(false) ? uri : null;
    }

    private async Task<BlobInfo> StatCoreAsync(RepositoryName repository, Digest digest, RegistryActor? actor, CancellationToken ct)
    {
        if (router.Resolve(repository) is not { } route) return await InnerStatAsync(repository, digest, actor, ct).ConfigureAwait(false);
        RefuseDenied(route, digest);
        // The normal path first: the inner stat checks the link itself, so a hit costs what a normal pull's stat costs
        // (one link query, one stat); only BLOB_UNKNOWN (not linked here, or its bytes gone) is a miss.
        try
        {
            var hit = await InnerStatAsync(repository, digest, actor, ct).ConfigureAwait(false);
            _statted.Remember(repository, digest, hit.Size);
            return hit;
        }
        catch (OciException e) when (e.Error == OciErrors.BlobUnknown)
        {
            // Not linked: a miss.
        }
        var (linked, fetch) = await FindAsync(route, digest, actor, ct).ConfigureAwait(false);
        if (linked is not null) return linked;
        try
        {
            return new BlobInfo(digest, await fetch!.WaitForSizeAsync(ct).ConfigureAwait(false));
        }
        catch (Exception e) when (e is UpstreamException or OciException)
        {
            // The fetch ended before its size was known: stored meanwhile (read it), or failed.
            if (fetch!.Completion.IsCompletedSuccessfully && await fetch.Completion.ConfigureAwait(false) is not null
                && await LinkStoredAsync(route, digest, actor, ct).ConfigureAwait(false) is { } stored)
                return stored;
            throw ToOci(route, e);
        }
    }

    private async Task<Stream> OpenCoreAsync(RepositoryName repository, Digest digest, ByteRange? range, RegistryActor? actor, CancellationToken ct)
    {
        if (router.Resolve(repository) is not { } route) return await InnerOpenAsync(repository, digest, range, actor, ct).ConfigureAwait(false);
        RefuseDenied(route, digest);
        // A stat that has just found the blob linked (a client's GET stats, then opens) stands for the link check, as
        // the stored reader's open trusts its stat; otherwise the link is asked.
        if (_statted.TryTake(repository, digest, out long size))
            return await HitAsync(route, digest, range, size, actor, ct).ConfigureAwait(false);
        if (await repositories.IsBlobLinkedAsync(repository, digest, ct).ConfigureAwait(false))
            return await HitAsync(route, digest, range, null, actor, ct).ConfigureAwait(false);
        var (linked, fetch) = await FindAsync(route, digest, actor, ct).ConfigureAwait(false);
        if (linked is not null) return await HitAsync(route, digest, range, linked.Size, actor, ct).ConfigureAwait(false);
        Stream? spool;
        try
        {
            spool = fetch!.OpenSpool(range);
        }
        catch (Exception e) when (e is UpstreamException or OciException)
        {
            throw ToOci(route, e);
        }
        if (spool is not null) return spool;
        // The fetch completed between the look-up and the open: read what it stored.
        if (await fetch.Completion.ConfigureAwait(false) is not null && await LinkStoredAsync(route, digest, actor, ct).ConfigureAwait(false) is not null)
            return await InnerOpenAsync(repository, digest, range, actor, ct).ConfigureAwait(false);
        throw fetch.Failure is { } failure ? ToOci(route, failure)
            : new OciException(OciErrors.Unavailable, $"{digest} was fetched from upstream {route.Upstream.Name} but could not be stored; retry");
    }

    /// <summary>
    /// The blob is not linked here: refuses digests no manifest of the repository references, links bytes the store
    /// already holds, else starts or joins the upstream fetch.
    /// </summary>
    private async Task<(BlobInfo? Linked, SpooledFetch? Fetch)> FindAsync(MirrorRoute route, Digest digest, RegistryActor? actor, CancellationToken ct)
    {
        if (await manifests.FindReferencingManifestAsync(route.Local, digest, ReferenceKind.Blob, ct).ConfigureAwait(false) is not { } manifest)
            throw new OciException(OciErrors.BlobUnknown, $"{digest} (no manifest of {route.Local} references it, so the mirror does not fetch it)");
        if (await LinkStoredAsync(route, digest, actor, ct).ConfigureAwait(false) is { } info) return (info, null);
        return (null, fetches.StartOrJoin(route, digest, actor, await DeclaredSizeAsync(route, manifest, digest, ct).ConfigureAwait(false)));
    }

    /// <summary>
    /// The blob's size as the referencing manifest declares it (the manifest is verified by its digest): the bound of an
    /// upstream response without <c>Content-Length</c> (chunked), and its length for clients before the transfer ends.
    /// Null when the manifest does not say (not parseable here, or a size below zero).
    /// </summary>
    private async Task<long?> DeclaredSizeAsync(MirrorRoute route, Digest manifest, Digest digest, CancellationToken ct)
    {
        if (await manifests.GetAsync(route.Local, manifest, ct).ConfigureAwait(false) is not { } record) return null;
        ParsedManifest parsed;
        try
        {
            parsed = ManifestParser.Parse(record.Content, record.MediaType);
        }
        catch (OciException)
        {
            return null;
        }
        foreach (var d in (parsed.Config is { } c ? new[] { c } : []).Concat(parsed.Layers))
            if (d.Digest == digest && d.Size >= 0) return d.Size;
        return null;
    }

    /// <summary>
    /// DenyDigests are digests that never come in, nor go out, through the mirror: a known-bad layer is refused like a
    /// known-bad manifest (the manifest reader judges only manifests), before anything else, so bytes another
    /// repository holds are not linked here and bytes linked before the digest was denied are not served.
    /// </summary>
    private void RefuseDenied(MirrorRoute route, Digest digest)
    {
        if (_vetting.GetOrAdd(route.Upstream, u => new MirrorVetting(u)).CheckDigest(digest) is { } denied)
            throw new OciException(OciErrors.Denied, $"{route.Local}@{digest} is not let in from upstream {route.Upstream.Name}: {denied}");
    }

    private readonly ConcurrentDictionary<UpstreamOptions, MirrorVetting> _vetting = new();

    /// <summary>Links the blob into the repository from another repository that holds it (no upstream request).</summary>
    private Task<BlobInfo?> LinkStoredAsync(MirrorRoute route, Digest digest, RegistryActor? actor, CancellationToken ct) =>
        // Any repository counts: a manifest of this one references the digest, so its bytes are what the upstream would send.
        blobs.TryMountAsync(route.Local, digest, null, _ => ValueTask.FromResult(true), actor ?? RegistryActor.Unknown, ct);

    private readonly StattedBlobs _statted = new();

    /// <param name="size">The blob's size when known (from the stat), else it is stat'ed for the saved-bytes counter.</param>
    private async Task<Stream> HitAsync(MirrorRoute route, Digest digest, ByteRange? range, long? size, RegistryActor? actor, CancellationToken ct)
    {
        long bytes = range?.Length ?? size ?? (await InnerStatAsync(route.Local, digest, actor, ct).ConfigureAwait(false)).Size;
        var stream = await InnerOpenAsync(route.Local, digest, range, actor, ct).ConfigureAwait(false);
        counters.For(route.Upstream.Name).BlobHit(bytes);
        return stream;
    }

    private Task<BlobInfo> InnerStatAsync(RepositoryName repository, Digest digest, RegistryActor? actor, CancellationToken ct) =>
        actor is null ? inner.StatAsync(repository, digest, ct) : inner.StatAsync(repository, digest, actor, ct);

    private Task<Stream> InnerOpenAsync(RepositoryName repository, Digest digest, ByteRange? range, RegistryActor? actor, CancellationToken ct) =>
        actor is null ? inner.OpenAsync(repository, digest, range, ct) : inner.OpenAsync(repository, digest, range, actor, ct);

    /// <summary>A fresh exception per caller (many readers share one failure): 404 stays 404, a rate limit 429, the rest 503.</summary>
    private static OciException ToOci(MirrorRoute route, Exception e) => e switch
    {
        OciException o => new OciException(o.Error, o.Detail),
        UpstreamException { Failure: UpstreamFailure.RateLimited } u =>
            new OciException(OciErrors.TooManyRequests, $"upstream {route.Upstream.Name} is rate-limiting: {u.Message}"),
        UpstreamException u => new OciException(OciErrors.Unavailable, $"upstream {route.Upstream.Name} ({u.Failure}): {u.Message}"),
        _ => new OciException(OciErrors.Unavailable, $"upstream {route.Upstream.Name}: {e.Message}"),
    };
}
