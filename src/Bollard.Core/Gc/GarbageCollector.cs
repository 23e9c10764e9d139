using Bollard.Core.Auth;
using Bollard.Core.Events;
using Bollard.Core.Jobs;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;

namespace Bollard.Core.Gc;

/// <summary>
/// Online garbage collection over the metadata store (never by reading blob bytes), in short batches so pushes and
/// pulls go on. One run:
/// <list type="number">
/// <item>finishes what a crashed run left: blobs marked 'deleting' lose their bytes and rows; expired pins are adopted;</item>
/// <item>per repository, plans (<see cref="GcPlanner"/>) on a snapshot and deletes the planned manifests through
/// <see cref="ManifestService.DeleteManifestsIfAsync"/> (push checks, events, a guard that re-checks each decision
/// inside its transaction; a refusal keeps that manifest and what depends on it and is reported), then removes the
/// links no kept manifest references (re-checked in the transaction, with their <c>BlobDeleted</c> events);</item>
/// <item>deletes the blobs nothing links: marked 'deleting' in one transaction (only if still unlinked and unpinned,
/// see <see cref="IBlobPins"/>), bytes deleted from <see cref="IBlobStore"/>, rows forgotten.</item>
/// </list>
/// A dry run plans the same and asks the push checks in transactions it rolls back, so it lists exactly what a real
/// run on the same state removes. Every step is idempotent: a run that dies is started again by its job lease and
/// re-plans from the metadata. The end appends <see cref="RegistryEventKind.GcFinished"/> (real runs) and audit records.
/// </summary>
public sealed class GarbageCollector(
    IGcStore store,
    IGcRunStore runs,
    IRepositoryStore repositories,
    IMetadataStore metadata,
    IBlobStore blobs,
    ManifestService manifests,
    IUntaggedManifestPolicy policy,
    AuditRecorder audit,
    GcOptions options,
    TimeProvider time,
    IForegroundActivity? activity = null)
{
    /// <summary>The principal GC's own changes carry in events and push checks.</summary>
    public const string Principal = "system:gc";

    private static readonly RegistryActor Actor = new(Principal, "");

    /// <summary>Progress is stored at most this often (and at every phase change).</summary>
    private static readonly TimeSpan ReportEvery = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// One run's pending items, written a batch at a time (each write is a transaction). Items of manifests and links
    /// a crash cuts off before they are written are missing from the run's list (the removals themselves stand);
    /// blob items are written before the blob rows go, so bytes freed are never lost.
    /// </summary>
    private sealed class RunState(IGcRunStore runs, long jobId, int batch, GcPacer pacer, DedicatedThread thread)
    {
        private readonly List<GcItem> _pending = [];

        public DateTimeOffset LastReport { get; set; } = DateTimeOffset.MinValue;

        public GcPacer Pacer { get; } = pacer;

        /// <summary>
        /// At every batch boundary: the pause <see cref="GcPacer"/> asks for, then back onto the run's own thread (an
        /// await that waited, for the writer lock or the pause, resumed on the thread pool).
        /// </summary>
        public async ValueTask BetweenBatchesAsync(CancellationToken ct)
        {
            await Pacer.BetweenBatchesAsync(ct).ConfigureAwait(false);
            await thread.SwitchTo();
        }

        public async Task AddAsync(IEnumerable<GcItem> items, CancellationToken ct)
        {
            _pending.AddRange(items);
            if (_pending.Count >= batch) await FlushAsync(ct).ConfigureAwait(false);
        }

        public async Task FlushAsync(CancellationToken ct)
        {
            if (_pending.Count == 0) return;
            await runs.AddItemsAsync(jobId, _pending.ToList(), ct).ConfigureAwait(false);
            _pending.Clear();
        }
    }

    /// <summary>Runs (or resumes) the GC run of job <paramref name="jobId"/>.</summary>
    /// <param name="progress">Told the run's progress (0 to 1) and a one-line summary after each batch.</param>
    public async Task<GcTotals> RunAsync(long jobId, bool dryRun, string requestedBy, Func<double, string, CancellationToken, ValueTask> progress, CancellationToken ct)
    {
        // The run's blocking steps (SQLite, fsync, unlink) on a thread of its own, at a lower CPU priority: never on
        // one of the thread pool's threads that serve requests (bench/README.md, GC section).
        int nice = options.ThreadNice;
        using var thread = new DedicatedThread("bollard-gc", () => ThreadNice.TryLowerCurrent(nice));
        await thread.SwitchTo();
        bool first = await runs.StartAsync(jobId, dryRun, requestedBy, ct).ConfigureAwait(false);
        var run = (await runs.GetAsync(jobId, ct).ConfigureAwait(false))!;
        audit.Record(requestedBy, "", first ? "gc.start" : "gc.resume", "ok", detail: $"run {jobId}{(dryRun ? " (dry run)" : "")}");
        try
        {
            var (totals, paused) = await CollectAsync(run, dryRun, thread, progress, ct).ConfigureAwait(false);
            string summary = $"run {jobId}{(dryRun ? " (dry run)" : "")}: {totals.Manifests} manifests, {totals.Links} links, {totals.Blobs} blobs, {totals.BytesFreed} bytes{(totals.Skipped > 0 ? $", {totals.Skipped} skipped" : "")}"
                + (paused >= TimeSpan.FromSeconds(0.1) ? FormattableString.Invariant($"; paused {paused.TotalSeconds:0.0} s for client requests") : "");
            if (!dryRun)
            {
                var tx = await metadata.BeginWriteAsync(ct).ConfigureAwait(false);
                await using (tx.ConfigureAwait(false))
                {
                    await tx.AppendEventAsync(new RegistryEvent
                    {
                        Kind = RegistryEventKind.GcFinished, Time = time.GetUtcNow(), Principal = Principal, Size = totals.BytesFreed, Detail = summary,
                    }, ct).ConfigureAwait(false);
                    await tx.CommitAsync(ct).ConfigureAwait(false);
                }
            }
            await runs.FinishAsync(jobId, ct).ConfigureAwait(false);
            audit.Record(requestedBy, "", "gc.finish", "ok", detail: summary);
            return totals;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            audit.Record(requestedBy, "", "gc.stop", "cancelled", detail: $"run {jobId}: cancelled or interrupted");
            throw;
        }
        catch (Exception e)
        {
            audit.Record(requestedBy, "", "gc.stop", "failed", detail: $"run {jobId}: {e.GetType().Name}: {e.Message}");
            throw;
        }
    }

    private async Task<(GcTotals Totals, TimeSpan Paused)> CollectAsync(GcRun start, bool dryRun, DedicatedThread thread, Func<double, string, CancellationToken, ValueTask> progress, CancellationToken ct)
    {
        long jobId = start.JobId;
        var now = time.GetUtcNow();
        var grace = options.GracePeriod;
        var cutoff = now - grace;
        var run = start with { Phase = "resuming" };
        var state = new RunState(runs, jobId, options.BatchSize, new GcPacer(activity ?? NoForegroundActivity.Instance, options.BusyWorkShare, time), thread);
        if (dryRun) await runs.ClearItemsAsync(jobId, ct).ConfigureAwait(false);
        else
        {
            await FinishDeletingAsync(jobId, ct).ConfigureAwait(false);
            await store.AdoptExpiredPinsAsync(ct).ConfigureAwait(false);
        }

        var (manifestCount, blobCount) = await store.CountAsync(ct).ConfigureAwait(false);
        run = run with { Phase = "manifests", ManifestsTotal = manifestCount, BlobsTotal = blobCount, ManifestsExamined = 0, BlobsExamined = 0, Planned = 0, Done = 0 };
        await ReportAsync(run, state, progress, force: true, ct).ConfigureAwait(false);

        // Per digest, the links a dry run would remove, for its blob phase. A real run needs none (its blob phase sees
        // the removals), and kept one entry per removed link alive for the whole run (50,000 in the bench) for nothing:
        // the runtime's collections promote and scan them while they stop the requests (bench/README.md, GC section).
        var unlinked = dryRun ? new Dictionary<Digest, int>() : null;
        string? after = null;
        while (true)
        {
            var names = await repositories.ListAsync(after, 100, ct).ConfigureAwait(false);
            foreach (string name in names)
            {
                await state.BetweenBatchesAsync(ct).ConfigureAwait(false);
                run = await CollectRepositoryAsync(run, state, RepositoryName.Parse(name), dryRun, now, grace, unlinked, ct).ConfigureAwait(false);
                await ReportAsync(run, state, progress, force: false, ct).ConfigureAwait(false);
            }
            if (names.Count < 100) break;
            after = names[^1];
        }

        run = run with { Phase = "blobs", ManifestsExamined = Math.Max(run.ManifestsExamined, run.ManifestsTotal) };
        await ReportAsync(run, state, progress, force: true, ct).ConfigureAwait(false);
        var candidates = new List<GcBlob>();
        Digest? cursor = null;
        while (true)
        {
            await state.BetweenBatchesAsync(ct).ConfigureAwait(false);
            var page = await store.ListUnlinkedAsync(cursor, options.BatchSize, ct).ConfigureAwait(false);
            if (page.Count == 0) break;
            cursor = page[^1].Digest;
            run = run with { BlobsExamined = run.BlobsExamined + page.Count };
            var garbage = page.Where(b => !b.Pinned && b.CreatedAt <= cutoff).ToList();
            if (dryRun) candidates.AddRange(garbage);
            else run = await DeleteBlobsAsync(run, garbage, ct).ConfigureAwait(false);
            await ReportAsync(run, state, progress, force: false, ct).ConfigureAwait(false);
            if (page.Count < options.BatchSize) break;
        }
        if (unlinked is not null)
        {
            // What the link removals above would leave unlinked.
            foreach (var chunk in unlinked.Keys.Chunk(options.BatchSize))
                foreach (var b in await store.GetBlobsAsync(chunk, ct).ConfigureAwait(false))
                    if (!b.Deleting && !b.Pinned && b.CreatedAt <= cutoff && b.Links > 0 && b.Links == unlinked[b.Digest])
                        candidates.Add(b);
            foreach (var chunk in candidates.Chunk(options.BatchSize))
            {
                await state.AddAsync(chunk.Select(b => new GcItem(GcItemKind.Blob, "", b.Digest, b.Size)), ct).ConfigureAwait(false);
                run = run with { Planned = run.Planned + chunk.Length, Done = run.Done + chunk.Length };
            }
        }
        await state.FlushAsync(ct).ConfigureAwait(false);
        run = run with { Phase = "finished", BlobsExamined = Math.Max(run.BlobsExamined, run.BlobsTotal) };
        await ReportAsync(run, state, progress, force: true, ct).ConfigureAwait(false);
        return (await runs.TotalsAsync(jobId, ct).ConfigureAwait(false), state.Pacer.Paused);
    }

    private async Task<GcRun> CollectRepositoryAsync(
        GcRun run, RunState state, RepositoryName repository, bool dryRun, DateTimeOffset now, TimeSpan grace, Dictionary<Digest, int>? unlinked, CancellationToken ct)
    {
        var snapshot = await store.LoadRepositoryAsync(repository, ct).ConfigureAwait(false);
        var retention = await policy.UntaggedRetentionAsync(repository, ct).ConfigureAwait(false);
        var plan = GcPlanner.Plan(snapshot, retention, now, grace);
        run = run with { ManifestsExamined = run.ManifestsExamined + snapshot.Manifests.Count, Planned = run.Planned + plan.Manifests.Count };

        var deleted = new HashSet<Digest>();
        var kept = new HashSet<Digest>();
        var items = new List<GcItem>();
        // A dry run must see the cascade (an index gone before its children), so it runs the whole plan in one
        // transaction it rolls back; a real run commits a batch at a time.
        int batch = dryRun ? Math.Max(1, plan.Manifests.Count) : options.BatchSize;
        foreach (var chunk in plan.Manifests.Chunk(batch))
        {
            await state.BetweenBatchesAsync(ct).ConfigureAwait(false);
            var todo = new List<(Digest, Func<IMetadataReads, CancellationToken, ValueTask<string?>>?)>();
            var todoPlans = new List<GcManifestDeletion>();
            foreach (var d in chunk)
            {
                // What it depends on was kept (refused): keep it too, as the guard or B13 would.
                if (d.DependsOn.Where(kept.Contains).Select(k => (Digest?)k).FirstOrDefault() is { } keeper)
                {
                    kept.Add(d.Digest);
                    items.Add(new GcItem(GcItemKind.Skipped, repository.Value, d.Digest, 0, $"kept because {keeper} was kept"));
                    continue;
                }
                todo.Add((d.Digest, Guard(repository, d)));
                todoPlans.Add(d);
            }
            if (todo.Count == 0) continue;
            var results = await manifests.DeleteManifestsIfAsync(repository, todo, commit: !dryRun, Actor, ct).ConfigureAwait(false);
            for (int i = 0; i < results.Count; i++)
            {
                var d = todoPlans[i];
                if (results[i] is null)
                {
                    deleted.Add(d.Digest);
                    items.Add(new GcItem(GcItemKind.Manifest, repository.Value, d.Digest, 0, d.Reason));
                }
                else if (results[i] == "gone")
                {
                    deleted.Add(d.Digest); // someone else deleted it meanwhile: its links may go
                }
                else
                {
                    kept.Add(d.Digest);
                    items.Add(new GcItem(GcItemKind.Skipped, repository.Value, d.Digest, 0, results[i]));
                }
            }
            run = run with { Done = run.Done + chunk.Length };
        }
        await state.AddAsync(items, ct).ConfigureAwait(false);

        var links = kept.Count == 0 ? plan.Links : GcPlanner.PlanLinks(snapshot, deleted, now, grace);
        run = run with { Planned = run.Planned + links.Count };
        foreach (var chunk in links.Chunk(options.BatchSize))
        {
            await state.BetweenBatchesAsync(ct).ConfigureAwait(false);
            var removed = dryRun ? chunk.ToList() : await UnlinkAsync(repository, chunk, ct).ConfigureAwait(false);
            if (unlinked is not null)
                foreach (var l in removed) unlinked[l.Digest] = unlinked.GetValueOrDefault(l.Digest) + 1;
            await state.AddAsync(removed.Select(l => new GcItem(GcItemKind.Link, repository.Value, l.Digest, l.Size)), ct).ConfigureAwait(false);
            run = run with { Done = run.Done + chunk.Length };
        }
        return run;
    }

    /// <summary>
    /// Re-checks a planned manifest delete inside its transaction: a client may have tagged it or pushed its subject
    /// since. In a dry run (one rolled-back transaction per repository) it sees the deletes before it, so a referrer
    /// of a subject a push check kept is kept there too, as in a real run.
    /// </summary>
    private static Func<IMetadataReads, CancellationToken, ValueTask<string?>> Guard(RepositoryName repository, GcManifestDeletion planned) =>
        async (reads, ct) =>
        {
            var tags = await reads.ListTagsOfAsync(repository, planned.Digest, ct).ConfigureAwait(false);
            if (!tags.Order(StringComparer.Ordinal).SequenceEqual(planned.Tags.Order(StringComparer.Ordinal), StringComparer.Ordinal))
                return "tagged meanwhile";
            foreach (var subject in planned.GoneSubjects)
                if (await reads.ManifestExistsAsync(repository, subject, ct).ConfigureAwait(false))
                    return $"its subject {subject} is present again";
            return null;
        };

    /// <summary>Removes links in one transaction, each only if still unreferenced in its repository.</summary>
    private async Task<List<GcLink>> UnlinkAsync(RepositoryName repository, IReadOnlyList<GcLink> links, CancellationToken ct)
    {
        var removed = new List<GcLink>();
        var now = time.GetUtcNow();
        var tx = await metadata.BeginWriteAsync(ct).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            foreach (var link in links)
            {
                if (await tx.FindReferencingManifestAsync(repository, link.Digest, ReferenceKind.Blob, ct).ConfigureAwait(false) is not null) continue;
                if (!await tx.UnlinkBlobAsync(repository, link.Digest, ct).ConfigureAwait(false)) continue;
                await tx.AppendEventAsync(new RegistryEvent
                {
                    Kind = RegistryEventKind.BlobDeleted, Repository = repository, Time = now, Principal = Principal, Digest = link.Digest, Size = link.Size, Detail = "gc",
                }, ct).ConfigureAwait(false);
                removed.Add(link);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        return removed;
    }

    private async Task<GcRun> DeleteBlobsAsync(GcRun run, IReadOnlyList<GcBlob> garbage, CancellationToken ct)
    {
        if (garbage.Count == 0) return run;
        var marked = await store.MarkDeletingAsync(garbage.Select(b => b.Digest).ToList(), ct).ConfigureAwait(false);
        await DeleteMarkedAsync(run.JobId, marked, ct).ConfigureAwait(false);
        return run with { Planned = run.Planned + garbage.Count, Done = run.Done + garbage.Count };
    }

    /// <summary>Blobs a crashed run marked 'deleting': their bytes go (again: idempotent) and their rows.</summary>
    private async Task FinishDeletingAsync(long jobId, CancellationToken ct)
    {
        while (true)
        {
            var marked = await store.ListDeletingAsync(options.BatchSize, ct).ConfigureAwait(false);
            if (marked.Count == 0) return;
            await DeleteMarkedAsync(jobId, marked, ct).ConfigureAwait(false);
        }
    }

    private async Task DeleteMarkedAsync(long jobId, IReadOnlyList<GcBlob> marked, CancellationToken ct)
    {
        if (marked.Count == 0) return;
        var items = new List<GcItem>(marked.Count);
        foreach (var blob in marked)
        {
            long size = blob.Size;
            if (size == 0 && await blobs.StatAsync(blob.Digest, ct).ConfigureAwait(false) is { } info) size = info.Size; // a row adopted from a pin
            await blobs.DeleteAsync(blob.Digest, ct).ConfigureAwait(false);
            items.Add(new GcItem(GcItemKind.Blob, "", blob.Digest, size));
        }
        // Recorded before the rows go: a crash in between deletes nothing twice and loses no item.
        await runs.AddItemsAsync(jobId, items, ct).ConfigureAwait(false);
        await store.ForgetAsync(marked.Select(b => b.Digest).ToList(), ct).ConfigureAwait(false);
    }

    /// <summary>Stores the counters and tells the job: at phase changes, else at most every <see cref="ReportEvery"/> (each is a write).</summary>
    private async Task ReportAsync(GcRun run, RunState state, Func<double, string, CancellationToken, ValueTask> progress, bool force, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (!force && now - state.LastReport < ReportEvery) return;
        state.LastReport = now;
        await runs.UpdateAsync(run, ct).ConfigureAwait(false);
        double total = run.ManifestsTotal + run.BlobsTotal + run.Planned;
        double done = Math.Min(run.ManifestsExamined, run.ManifestsTotal) + Math.Min(run.BlobsExamined, run.BlobsTotal) + run.Done;
        double fraction = run.Phase == "finished" ? 1 : total <= 0 ? 0 : Math.Min(0.99, done / total);
        await progress(fraction, $"{run.Phase}: {run.ManifestsExamined}/{run.ManifestsTotal} manifests, {run.BlobsExamined}/{run.BlobsTotal} blobs examined, {run.Done}/{run.Planned} removals", ct).ConfigureAwait(false);
    }
}
