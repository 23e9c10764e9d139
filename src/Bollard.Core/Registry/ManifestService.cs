using System.Text.Json;
using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Registry.Hooks;
using Bollard.Core.Storage;

namespace Bollard.Core.Registry;

/// <summary>
/// Manifest push/pull/delete, tag and catalog listing, and the referrers API. Every change runs in one
/// <see cref="IMetadataTransaction"/>: the registry's checks, then the <see cref="IPushCheck"/>s, then the rows and
/// their outbox events, committed once. Reads go through <see cref="IManifestReader"/> and the <see cref="IPullGate"/>.
/// </summary>
public sealed class ManifestService(
    IManifestStore manifests,
    IRepositoryStore repositories,
    IMetadataStore metadata,
    IManifestReader reader,
    IEnumerable<IPushCheck> pushChecks,
    IPullGate pullGate,
    RegistryOptions options,
    TimeProvider time,
    IEnumerable<IDeleteCascade>? deleteCascades = null)
{
    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");
    private readonly IPushCheck[] _pushChecks = pushChecks.ToArray();
    private readonly IDeleteCascade[] _deleteCascades = deleteCascades?.ToArray() ?? [];

    /// <summary>The manifest to serve for a GET or HEAD, once the pull gate allowed it.</summary>
    /// <exception cref="OciException"><c>MANIFEST_UNKNOWN</c>, <c>NAME_UNKNOWN</c> when the repository does not exist,
    /// or <c>DENIED</c> with the pull gate's reasons.</exception>
    public async Task<ManifestRecord> GetAsync(RepositoryName repository, Reference reference, RegistryActor actor, CancellationToken ct)
    {
        var record = await reader.GetAsync(repository, reference, actor, ct).ConfigureAwait(false);
        if (record is null)
        {
            await ThrowIfNoRepositoryAsync(repository, ct).ConfigureAwait(false);
            throw new OciException(OciErrors.ManifestUnknown, $"{repository}:{reference}");
        }
        if (!IsUngated(reference, record))
        {
            var decision = await pullGate.DecideAsync(new PullGateContext { Repository = repository, Reference = reference, Manifest = record, Actor = actor }, ct).ConfigureAwait(false);
            if (!decision.Allowed)
                throw new OciException(OciErrors.Denied, decision.Reasons.Count == 0 ? "refused by policy" : string.Join("; ", decision.Reasons));
        }
        return record;
    }

    /// <summary>
    /// Signature and referrer lookups are never gated (see <see cref="IPullGate"/>): an artifact with a subject,
    /// or a tag of the cosign scheme <c>&lt;alg&gt;-&lt;hex&gt;[.suffix]</c>, which only tools that verify use.
    /// </summary>
    internal static bool IsUngated(Reference reference, ManifestRecord record) =>
        record.Subject is not null || (reference.Tag is { } tag && IsCosignSchemeTag(tag));

    /// <summary>A tag of the cosign scheme <c>&lt;alg&gt;-&lt;hex&gt;[.suffix]</c> (signatures, attestations, SBOMs, the referrers fallback index).</summary>
    public static bool IsCosignSchemeTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        int dash = tag.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0) return false;
        var rest = tag.AsSpan(dash + 1);
        int dot = rest.IndexOf('.');
        var hex = dot < 0 ? rest : rest[..dot];
        return DigestAlgorithm.Find(tag[..dash]) is { } algorithm && hex.Length == algorithm.HexLength && hex.IndexOfAnyExcept(LowerHex) < 0;
    }

    /// <summary>
    /// Validates and stores a manifest under <paramref name="reference"/>. The digest is computed over the exact
    /// bytes with the algorithm of a digest reference (sha256 for a tag), and must equal a digest reference.
    /// </summary>
    /// <exception cref="OciException"><c>MANIFEST_INVALID</c>, <c>MANIFEST_BLOB_UNKNOWN</c>, <c>DIGEST_INVALID</c>,
    /// <c>SIZE_INVALID</c>, or a push check's refusal. Nothing is written then.</exception>
    public Task<(Digest Digest, ParsedManifest Parsed)> PutAsync(
        RepositoryName repository, Reference reference, byte[] body, string? contentType, RegistryActor actor, CancellationToken ct) =>
        PutAsync(repository, reference, body, contentType, null, actor, ct);

    /// <summary>As the overload without <paramref name="condition"/>; with it, only while the reference still points
    /// where the condition expects (checked inside the transaction, so two writers that read the same tag cannot both
    /// move it).</summary>
    /// <exception cref="OciException">Also <c>PRECONDITION_FAILED</c> (412) when the condition does not hold; nothing is written then.</exception>
    public Task<(Digest Digest, ParsedManifest Parsed)> PutAsync(
        RepositoryName repository, Reference reference, byte[] body, string? contentType, TagCondition? condition, RegistryActor actor, CancellationToken ct) =>
        PutAsync(repository, reference, body, contentType, condition, actor, requireReferences: true, ct);

    /// <summary>
    /// Stores a manifest a pull-through mirror fetched from its upstream: byte-exact, validated, with its push checks
    /// and events like a push, but its blobs and child manifests need not be here yet (they are recorded as references,
    /// so GC keeps them once fetched, and are fetched when a client asks for them: only the platform pulled comes in).
    /// </summary>
    public Task<(Digest Digest, ParsedManifest Parsed)> StoreFetchedAsync(
        RepositoryName repository, Reference reference, byte[] body, string? contentType, TagCondition? condition, RegistryActor actor, CancellationToken ct) =>
        PutAsync(repository, reference, body, contentType, condition, actor, requireReferences: false, ct);

    private async Task<(Digest Digest, ParsedManifest Parsed)> PutAsync(
        RepositoryName repository, Reference reference, byte[] body, string? contentType, TagCondition? condition, RegistryActor actor, bool requireReferences, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (body.Length > options.MaxManifestBytes)
            throw new OciException(OciErrors.ManifestTooLarge, $"{body.Length} bytes is over the limit of {options.MaxManifestBytes} bytes");
        var algorithm = reference.Digest?.Algorithm ?? DigestAlgorithm.Sha256;
        var digest = Digest.Compute(algorithm, body);
        if (reference.Digest is { } expected && expected != digest)
            throw new OciException(OciErrors.DigestInvalid, $"manifest digest is {digest}, not {expected}");

        var parsed = ManifestParser.Parse(body, contentType);
        var blobsNeeded = parsed.RequiredBlobs().Distinct().ToList();
        var childrenNeeded = parsed.RequiredManifests().Distinct().ToList();
        if (blobsNeeded.Count + childrenNeeded.Count > options.MaxManifestReferences)
            throw new OciException(OciErrors.ManifestInvalid,
                $"the manifest references {blobsNeeded.Count + childrenNeeded.Count} blobs and manifests; at most {options.MaxManifestReferences} are allowed (Registry:MaxManifestReferences)");
        string? annotations = parsed.Annotations is null ? null : JsonSerializer.Serialize(parsed.Annotations, CoreJson.Default.IReadOnlyDictionaryStringString);
        var now = time.GetUtcNow();
        var record = new ManifestRecord(digest, parsed.MediaType, body, parsed.EffectiveArtifactType, parsed.Subject?.Digest, annotations, now);

        // B7: the reference check runs on a read connection, before the writer is taken, so a manifest with
        // thousands of missing layers costs its sender, not everyone else's pushes.
        var check = requireReferences ? await manifests.FindMissingReferencesAsync(repository, blobsNeeded, childrenNeeded, ct).ConfigureAwait(false) : null;
        if (check is not null) ThrowIfMissing(repository, check);

        var tx = await metadata.BeginWriteAsync(ct).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            // Only a removal can make a present reference missing, and every removal moves the generation: when it
            // has not moved, the check above still holds and is not repeated under the writer.
            if (check is not null && blobsNeeded.Count + childrenNeeded.Count > 0 && await tx.GenerationAsync(repository, ct).ConfigureAwait(false) != check.Generation)
                ThrowIfMissing(repository, await tx.FindMissingReferencesAsync(repository, blobsNeeded, childrenNeeded, ct).ConfigureAwait(false));

            bool existed = await tx.ManifestExistsAsync(repository, digest, ct).ConfigureAwait(false);
            Digest? previous = reference.Tag is { } t ? await tx.GetTagAsync(repository, t, ct).ConfigureAwait(false) : null;
            if (condition?.Check(reference.Tag is null ? (existed ? digest : null) : previous) is { } failed)
                throw new OciException(OciErrors.PreconditionFailed, $"{repository}:{reference}: {failed}");
            await RunPushChecksAsync(new PushCheckContext
            {
                Change = RegistryChange.PutManifest, Repository = repository, Digest = digest, Tag = reference.Tag,
                PreviousTagTarget = previous, Manifest = parsed, ManifestSize = body.LongLength, ManifestExisted = existed, Actor = actor, Reads = tx,
            }, ct).ConfigureAwait(false);

            await RegistryWrites.EnsureRepositoryAsync(tx, repository, actor, now, ct).ConfigureAwait(false);
            if (!existed) await tx.PutManifestAsync(repository, record, blobsNeeded, childrenNeeded, ct).ConfigureAwait(false);
            await tx.AppendEventAsync(Event(RegistryEventKind.ManifestPushed, repository, actor, now) with
            {
                Digest = digest, Tag = reference.Tag, MediaType = parsed.MediaType, Size = body.LongLength,
            }, ct).ConfigureAwait(false);
            if (reference.Tag is { } tag && previous != digest)
            {
                await tx.SetTagAsync(repository, tag, digest, ct).ConfigureAwait(false);
                await tx.AppendEventAsync(Event(previous is null ? RegistryEventKind.TagCreated : RegistryEventKind.TagMoved, repository, actor, now) with
                {
                    Digest = digest, Tag = tag, PreviousDigest = previous,
                }, ct).ConfigureAwait(false);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        return (digest, parsed);
    }

    /// <summary>By tag: removes only the tag. By digest: removes the manifest and every tag on it.</summary>
    /// <exception cref="OciException"><c>MANIFEST_UNKNOWN</c>, <c>NAME_UNKNOWN</c>; <c>DENIED</c> when an index of the
    /// repository still references the manifest (B13), or a push check refused.</exception>
    public Task DeleteAsync(RepositoryName repository, Reference reference, RegistryActor actor, CancellationToken ct) =>
        DeleteAsync(repository, reference, null, actor, ct);

    /// <summary>As <see cref="DeleteAsync(RepositoryName, Reference, RegistryActor, CancellationToken)"/>; by tag with
    /// <paramref name="expectedTagTarget"/>, only while the tag still points there (retention planned the removal of the
    /// tag at that manifest: a push that moved it since must not be undone).</summary>
    /// <exception cref="OciException">Also <c>MANIFEST_UNKNOWN</c> when the tag points elsewhere now; nothing changes then.</exception>
    public async Task DeleteAsync(RepositoryName repository, Reference reference, Digest? expectedTagTarget, RegistryActor actor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var tx = await metadata.BeginWriteAsync(ct).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            if (reference.Digest is { } digest)
            {
                if (!await tx.ManifestExistsAsync(repository, digest, ct).ConfigureAwait(false))
                    throw await UnknownAsync(tx, repository, reference, ct).ConfigureAwait(false);
                await DeleteManifestInAsync(tx, repository, digest, actor, now, ct).ConfigureAwait(false);
            }
            else
            {
                string tag = reference.Tag!;
                var target = await tx.GetTagAsync(repository, tag, ct).ConfigureAwait(false);
                if (target is null) throw await UnknownAsync(tx, repository, reference, ct).ConfigureAwait(false);
                if (expectedTagTarget is { } expected && target != expected)
                    throw new OciException(OciErrors.ManifestUnknown, $"{repository}:{tag} points at {target} now, not {expected}");
                await RunPushChecksAsync(new PushCheckContext
                {
                    Change = RegistryChange.DeleteTag, Repository = repository, Digest = target.Value, Tag = tag, PreviousTagTarget = target, Actor = actor, Reads = tx,
                }, ct).ConfigureAwait(false);
                await tx.DeleteTagAsync(repository, tag, ct).ConfigureAwait(false);
                await tx.AppendEventAsync(Event(RegistryEventKind.TagDeleted, repository, actor, now) with { Digest = target, Tag = tag }, ct).ConfigureAwait(false);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Deletes manifests by digest for garbage collection and retention, each through exactly the path of
    /// <see cref="DeleteAsync"/> (B13 check, push checks with <see cref="RegistryChange.DeleteManifest"/>, the same
    /// events), all in one transaction (keep the list short: a batch), in order, each only when its guard (run
    /// first, inside the transaction, so it sees the deletes before it) has no objection: a guard re-checks what the
    /// caller decided on (still untagged, subject still gone), since clients may have changed the repository since.
    /// A refusal (B13, a push check) keeps that manifest and the others go on: every check runs before any write of
    /// its manifest. With <paramref name="commit"/> false everything is rolled back: a dry run that still asks the
    /// push checks and sees the cascade.
    /// </summary>
    /// <returns>Per manifest, in order: null when deleted (or, without commit, when it would be); else why it was kept
    /// (the guard's reason, the refusal, or "gone" when it no longer exists).</returns>
    public async Task<IReadOnlyList<string?>> DeleteManifestsIfAsync(
        RepositoryName repository, IReadOnlyList<(Digest Digest, Func<IMetadataReads, CancellationToken, ValueTask<string?>>? Guard)> deletes,
        bool commit, RegistryActor actor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var results = new string?[deletes.Count];
        var tx = await metadata.BeginWriteAsync(ct).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            for (int i = 0; i < deletes.Count; i++)
            {
                var (digest, guard) = deletes[i];
                if (!await tx.ManifestExistsAsync(repository, digest, ct).ConfigureAwait(false)) { results[i] = "gone"; continue; }
                if (guard is not null && await guard(tx, ct).ConfigureAwait(false) is { } objection) { results[i] = objection; continue; }
                try
                {
                    await DeleteManifestInAsync(tx, repository, digest, actor, now, ct).ConfigureAwait(false);
                }
                catch (OciException e)
                {
                    results[i] = e.Detail ?? e.Message;
                }
            }
            if (commit) await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        return results;
    }

    /// <summary>
    /// The delete of a manifest that exists, by digest, inside <paramref name="tx"/>: B13, push checks, rows, events; then
    /// its <see cref="IDeleteCascade"/> dependents through the same path (not theirs: <paramref name="cascade"/> is false for them).
    /// </summary>
    private async Task DeleteManifestInAsync(IMetadataTransaction tx, RepositoryName repository, Digest digest, RegistryActor actor, DateTimeOffset now, CancellationToken ct, bool cascade = true)
    {
        // B13: deleting a child of an index breaks the index; the lifecycle GC removes what is really unreferenced.
        if (await tx.FindReferencingManifestAsync(repository, digest, ReferenceKind.Manifest, ct).ConfigureAwait(false) is { } index)
            throw new OciException(OciErrors.Denied, $"manifest {digest} is referenced by index {index} in {repository}; delete the index first");
        var tags = await tx.ListTagsOfAsync(repository, digest, ct).ConfigureAwait(false);
        await RunPushChecksAsync(new PushCheckContext
        {
            Change = RegistryChange.DeleteManifest, Repository = repository, Digest = digest, Actor = actor, Reads = tx,
        }, ct).ConfigureAwait(false);
        await tx.DeleteManifestAsync(repository, digest, ct).ConfigureAwait(false);
        foreach (string tag in tags)
            await tx.AppendEventAsync(Event(RegistryEventKind.TagDeleted, repository, actor, now) with { Digest = digest, Tag = tag, Detail = RegistryEvent.CascadeDetail }, ct).ConfigureAwait(false);
        await tx.AppendEventAsync(Event(RegistryEventKind.ManifestDeleted, repository, actor, now) with { Digest = digest }, ct).ConfigureAwait(false);
        if (!cascade) return;
        foreach (var dependents in _deleteCascades)
        {
            foreach (var dependent in await dependents.DependentsAsync(repository, digest, ct).ConfigureAwait(false))
            {
                if (dependent != digest && await tx.ManifestExistsAsync(repository, dependent, ct).ConfigureAwait(false))
                    await DeleteManifestInAsync(tx, repository, dependent, actor, now, ct, cascade: false).ConfigureAwait(false);
            }
        }
    }

    public async Task<Page> ListTagsAsync(RepositoryName repository, int? n, string? last, CancellationToken ct)
    {
        await ThrowIfNoRepositoryAsync(repository, ct).ConfigureAwait(false);
        int limit = PageSize(n);
        if (limit == 0) return new Page([], false);
        var items = await manifests.ListTagsAsync(repository, last, limit + 1, ct).ConfigureAwait(false);
        return Trim(items, limit) with { Limit = limit };
    }

    /// <summary>Repository names in lexical order, only those <paramref name="visible"/> says the caller may see.</summary>
    public async Task<Page> ListRepositoriesAsync(int? n, string? last, Func<RepositoryName, ValueTask<bool>> visible, CancellationToken ct)
    {
        int limit = PageSize(n);
        if (limit == 0) return new Page([], false);
        // Issue 6 B6: a caller who may see little must not make one request read every repository (and learn from
        // the time taken how many private names sort after `last`). At most MaxCatalogScan names are examined per
        // request; when the budget runs out first, the page is shorter and its Link continues after the last name
        // examined, so the client still reaches every repository it may see, a bounded step at a time.
        int budget = Math.Max(options.MaxCatalogScan, limit + 1);
        var page = new List<string>(Math.Min(limit + 1, 1024));
        string? cursor = last;
        int scanned = 0;
        bool exhausted = false;
        while (page.Count <= limit)
        {
            int take = Math.Min(limit + 1, budget - scanned);
            if (take <= 0) break;
            var batch = await repositories.ListAsync(cursor, take, ct).ConfigureAwait(false);
            scanned += batch.Count;
            foreach (var name in batch)
            {
                if (page.Count > limit) break;
                cursor = name;
                if (await visible(RepositoryName.Parse(name)).ConfigureAwait(false)) page.Add(name);
            }
            if (batch.Count < take) { exhausted = true; break; }
        }
        if (page.Count > limit || exhausted) return Trim(page, limit) with { Limit = limit };
        // The budget ran out with more names left: continue after the last one examined.
        return new Page(page, true) { Cursor = cursor, Limit = limit };
    }

    private Task RunPushChecksAsync(PushCheckContext context, CancellationToken ct) => PushChecks.RunAsync(_pushChecks, context, ct);

    private static RegistryEvent Event(RegistryEventKind kind, RepositoryName repository, RegistryActor actor, DateTimeOffset now) =>
        RegistryWrites.Event(kind, repository, actor, now);

    private static void ThrowIfMissing(RepositoryName repository, ReferenceCheck check)
    {
        if (check.MissingBlobs.Count > 0)
            throw new OciException(OciErrors.ManifestBlobUnknown, Missing("blob", check.MissingBlobs, repository));
        if (check.MissingManifests.Count > 0)
            throw new OciException(OciErrors.ManifestBlobUnknown, Missing("manifest", check.MissingManifests, repository));
    }

    private static string Missing(string what, IReadOnlyList<Digest> missing, RepositoryName repository) =>
        missing.Count == 1 ? $"{what} {missing[0]} is not in repository {repository}"
            : $"{what} {missing[0]} and {missing.Count - 1} more are not in repository {repository}";

    private static async Task<OciException> UnknownAsync(IMetadataReads reads, RepositoryName repository, Reference reference, CancellationToken ct) =>
        await reads.RepositoryExistsAsync(repository, ct).ConfigureAwait(false)
            ? new OciException(OciErrors.ManifestUnknown, $"{repository}:{reference}")
            : new OciException(OciErrors.NameUnknown, repository.ToString());

    /// <summary>
    /// The referrers of <paramref name="subject"/> in the repository. Never 404 (distribution-spec: a registry
    /// with the referrers API "MUST NOT return a 404"); an unknown repository or subject has no referrers.
    /// </summary>
    public Task<IReadOnlyList<ReferrerRecord>> ListReferrersAsync(RepositoryName repository, Digest subject, string? artifactType, CancellationToken ct) =>
        manifests.ListReferrersAsync(repository, subject, artifactType, ct).AsTask();

    /// <summary>
    /// A page of the referrers of <paramref name="subject"/> for <c>GET /v2/NAME/referrers/DIGEST</c>: at most
    /// <c>n</c> (capped, and by default, at <see cref="RegistryOptions.MaxPageSize"/>) after the referrer
    /// <paramref name="last"/>; <c>HasMore</c> when a next page exists. Never 404, like the unpaged listing.
    /// </summary>
    public async Task<(IReadOnlyList<ReferrerRecord> Items, bool HasMore, int Limit)> ListReferrersPageAsync(RepositoryName repository, Digest subject,
        string? artifactType, int? n, Digest? last, CancellationToken ct)
    {
        int limit = PageSize(n);
        if (limit == 0) return ([], false, 0);
        var items = await manifests.ListReferrersAsync(repository, subject, artifactType, last, limit + 1, ct).ConfigureAwait(false);
        return items.Count > limit ? (items.Take(limit).ToList(), true, limit) : (items, false, limit);
    }

    private int PageSize(int? n) => n switch
    {
        null => options.MaxPageSize,
        < 0 => throw new OciException(OciErrors.PaginationNumberInvalid, "n must not be negative"),
        _ => Math.Min(n.Value, options.MaxPageSize),
    };

    private static Page Trim(IReadOnlyList<string> items, int limit) =>
        items.Count > limit ? new Page(items.Take(limit).ToList(), true) : new Page(items, false);

    private async Task ThrowIfNoRepositoryAsync(RepositoryName repository, CancellationToken ct)
    {
        if (!await repositories.ExistsAsync(repository, ct).ConfigureAwait(false))
            throw new OciException(OciErrors.NameUnknown, repository.ToString());
    }
}
