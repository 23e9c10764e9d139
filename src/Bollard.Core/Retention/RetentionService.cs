using Bollard.Core.Auth;
using Bollard.Core.Immutability;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;

namespace Bollard.Core.Retention;

/// <summary>
/// Retention policies (admins manage them; every change audited) and retention runs. A run flushes the pull times,
/// walks every repository a policy with "keep the last N" matches, plans with <see cref="RetentionPlanner"/>, and
/// deletes each planned tag through <see cref="ManifestService.DeleteAsync"/> (so every push check applies and the
/// normal <c>TagDeleted</c> event is appended); each removal is audited as <c>retention.delete</c>. A tag an
/// immutability rule protects is never removed: the plan reports it as skipped, and should a rule appear between
/// plan and delete, the refused delete is reported as skipped too. A dry run plans the same way and deletes nothing,
/// so its list is what a real run at that moment removes. Untagged manifests are not deleted here: GC deletes them
/// after the policies' <see cref="RetentionPolicy.UntaggedAfter"/> (<see cref="RetentionUntaggedManifestPolicy"/>).
/// Runs are idempotent (a second run finds nothing more to remove), as jobs must be.
/// </summary>
public sealed class RetentionService(
    IRetentionStore store, RetentionPolicies policies, IPullTimeStore pullTimes, PullTimeRecorder recorder, IRepositoryStore repositories,
    ManifestService manifests, ImmutabilityRules immutability, AuditRecorder audit, TimeProvider time)
{
    /// <summary>Who scheduled runs act as, in events and the audit log.</summary>
    public static readonly RegistryActor ScheduledActor = new("retention", "");

    private const int RepositoryPage = 500;
    private const int MaxKeepTags = 100;

    public async Task<RetentionPolicy> AddAsync(RegistryCaller caller, string? namespacePattern, int? keepLast, string? order,
        IReadOnlyList<string>? keepTags, TimeSpan? untaggedAfter, CancellationToken ct)
    {
        IdentityService.RequireAdmin(caller);
        if (!NamespacePattern.TryParse(namespacePattern, out var ns, out var problem)) throw new ManagementException(ManagementError.BadRequest, problem);
        if (keepLast is < 0 or > 1_000_000) throw new ManagementException(ManagementError.BadRequest, "keepLast is 0 to 1000000");
        var retentionOrder = order?.ToLowerInvariant() switch
        {
            null or "" or "push" or "pushed" => RetentionOrder.Pushed,
            "pull" or "pulled" => RetentionOrder.Pulled,
            _ => throw new ManagementException(ManagementError.BadRequest, $"order '{order}' is not push or pull"),
        };
        if (keepTags is { Count: > MaxKeepTags }) throw new ManagementException(ManagementError.BadRequest, $"at most {MaxKeepTags} keepTags patterns");
        var patterns = new List<TagPattern>();
        foreach (string text in keepTags ?? [])
            patterns.Add(TagPattern.TryParse(text, out var p, out var tagProblem) ? p : throw new ManagementException(ManagementError.BadRequest, tagProblem));
        if (untaggedAfter is { } d && d <= TimeSpan.Zero) throw new ManagementException(ManagementError.BadRequest, "untaggedAfter must be positive");
        if (keepLast is null && untaggedAfter is null)
            throw new ManagementException(ManagementError.BadRequest, "a policy needs keepLast, untaggedAfter or both");
        var policy = await store.AddAsync(new RetentionPolicy(0, ns, keepLast, retentionOrder, patterns, untaggedAfter, caller.Principal.Name, time.GetUtcNow()), ct).ConfigureAwait(false)
            ?? throw new ManagementException(ManagementError.Conflict, $"a retention policy for '{ns}' exists; remove it first");
        policies.Invalidate();
        audit.Record(caller.Principal.Name, caller.ClientAddress, "retention.add", "success", reference: $"policy {policy.Id}", detail: policy.ToString());
        return policy;
    }

    public async Task<IReadOnlyList<RetentionPolicy>> ListAsync(RegistryCaller caller, CancellationToken ct)
    {
        IdentityService.RequireAdmin(caller);
        return await store.ListAsync(ct).ConfigureAwait(false);
    }

    public async Task RemoveAsync(RegistryCaller caller, long id, CancellationToken ct)
    {
        IdentityService.RequireAdmin(caller);
        var policy = (await store.ListAsync(ct).ConfigureAwait(false)).FirstOrDefault(p => p.Id == id);
        if (policy is null || !await store.DeleteAsync(id, ct).ConfigureAwait(false))
            throw new ManagementException(ManagementError.NotFound, $"no retention policy {id}");
        policies.Invalidate();
        audit.Record(caller.Principal.Name, caller.ClientAddress, "retention.remove", "success", reference: $"policy {id}", detail: policy.ToString());
    }

    /// <summary>A run asked for through the API (admins); deletes are made in the caller's name.</summary>
    public Task<RetentionReport> RunAsync(RegistryCaller caller, bool dryRun, CancellationToken ct)
    {
        IdentityService.RequireAdmin(caller);
        return RunAsync(new RegistryActor(caller.Principal.Name, caller.ClientAddress), dryRun, null, ct);
    }

    /// <param name="progress">Told after each page of repositories: the share examined so far is unknown, so the count.</param>
    public async Task<RetentionReport> RunAsync(RegistryActor actor, bool dryRun, Func<int, CancellationToken, ValueTask>? progress, CancellationToken ct)
    {
        // Pull times of the last flush interval decide "keep the last N by pull" too; a failing flush fails the run
        // (retried) rather than deleting tags whose recent pulls are only in memory.
        await recorder.FlushAsync(ct).ConfigureAwait(false);
        var tagPolicies = (await policies.GetAsync(ct).ConfigureAwait(false)).Where(p => p.KeepLast is not null).ToList();
        var removed = new List<RetentionItem>();
        var skipped = new List<RetentionItem>();
        int examined = 0;
        string? last = null;
        while (tagPolicies.Count > 0)
        {
            var names = await repositories.ListAsync(last, RepositoryPage, ct).ConfigureAwait(false);
            foreach (string name in names)
            {
                last = name;
                var applicable = tagPolicies.Where(p => p.Namespace.Matches(name)).ToList();
                if (applicable.Count == 0) continue;
                examined++;
                var repository = RepositoryName.Parse(name);
                var plan = RetentionPlanner.Plan(applicable, await pullTimes.ListTagTimesAsync(repository, ct).ConfigureAwait(false));
                foreach (var (tag, reason) in plan)
                    await RemoveTagAsync(repository, tag, reason, actor, dryRun, removed, skipped, ct).ConfigureAwait(false);
            }
            if (progress is not null) await progress(examined, ct).ConfigureAwait(false);
            if (names.Count < RepositoryPage) break;
        }
        if (!dryRun)
            audit.Record(actor.Principal, actor.ClientAddress, "retention.run", "success",
                detail: $"{removed.Count} tags removed, {skipped.Count} protected tags skipped, {examined} repositories examined");
        return new RetentionReport(dryRun, examined, removed, skipped);
    }

    private async Task RemoveTagAsync(RepositoryName repository, TagTimes tag, string reason, RegistryActor actor, bool dryRun,
        List<RetentionItem> removed, List<RetentionItem> skipped, CancellationToken ct)
    {
        string digest = tag.Digest.ToString();
        if (await immutability.FindAsync(repository.Value, tag.Tag, ct).ConfigureAwait(false) is { } rule)
        {
            skipped.Add(new RetentionItem(repository.Value, tag.Tag, digest, ImmutabilityCheck.Describe(tag.Tag, repository.Value, rule)));
            return;
        }
        if (dryRun)
        {
            removed.Add(new RetentionItem(repository.Value, tag.Tag, digest, reason));
            return;
        }
        try
        {
            await manifests.DeleteAsync(repository, new Reference(tag.Tag, null), tag.Digest, actor, ct).ConfigureAwait(false);
        }
        catch (OciException e) when (e.Error.Code == OciErrors.Denied.Code)
        {
            // A push check refused (a rule added since the plan): kept, and said why.
            skipped.Add(new RetentionItem(repository.Value, tag.Tag, digest, e.Detail ?? e.Error.Message));
            audit.Record(actor.Principal, actor.ClientAddress, "retention.delete", "denied", repository.Value, tag.Tag, detail: e.Detail);
            return;
        }
        catch (OciException e) when (e.Error == OciErrors.ManifestUnknown || e.Error == OciErrors.NameUnknown)
        {
            return; // deleted, or moved to another manifest by a push, since the plan: not removed
        }
        removed.Add(new RetentionItem(repository.Value, tag.Tag, digest, reason));
        audit.Record(actor.Principal, actor.ClientAddress, "retention.delete", "success", repository.Value, tag.Tag, detail: $"{digest}; {reason}");
    }

    /// <summary>The repository's tags with push and pull times (pending pulls flushed first), for the API.</summary>
    public async Task<IReadOnlyList<TagTimes>> TagTimesAsync(RepositoryName repository, CancellationToken ct)
    {
        await recorder.FlushAsync(ct).ConfigureAwait(false);
        return await pullTimes.ListTagTimesAsync(repository, ct).ConfigureAwait(false);
    }
}
