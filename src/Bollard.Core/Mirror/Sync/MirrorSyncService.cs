using Bollard.Core.Auth;
using Bollard.Core.Jobs;
using Bollard.Core.Registry;

namespace Bollard.Core.Mirror.Sync;

/// <summary>
/// Starting, showing and cancelling syncs (the management API and the CLI). A sync takes the maintainer right on the
/// mirrored repository (namespace maintainers and admins, <see cref="RepositoryManagement.AuthorizeAsync"/>); it is a
/// <c>mirror-sync</c> job, unique per reference and platforms, so asking twice answers with the sync already queued
/// or running. Every start is audited as <c>mirror.sync</c>.
/// </summary>
public sealed class MirrorSyncService(IJobStore jobs, MirrorRouter router, RepositoryManagement repositories, AuditRecorder audit, TimeProvider time)
{
    public const string AuditAction = "mirror.sync";

    public MirrorRouter Router => router;

    /// <summary>Attempts of a sync: the upstream may be briefly down; each retry resumes.</summary>
    public const int MaxAttempts = 3;

    /// <param name="platforms">null or empty: every platform of an index.</param>
    /// <exception cref="ManagementException">400 a bad reference, unknown upstream, refused by vetting or bad platform; 401/403/404 without the right.</exception>
    public async Task<(MirrorSyncStatus Status, bool Created)> StartAsync(RegistryCaller caller, string? reference, IReadOnlyList<string>? platforms, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!MirrorSyncTarget.TryParse(router, reference, out var target, out var problem)) throw new ManagementException(ManagementError.BadRequest, problem);
        var normalized = new List<string>();
        foreach (string text in platforms ?? [])
        {
            if (text is "all") continue;
            if (!MirrorPlatform.TryParse(text, out var p)) throw new ManagementException(ManagementError.BadRequest, $"'{text}' is not a platform: write os/arch[/variant], e.g. linux/amd64");
            if (!normalized.Contains(p.ToString())) normalized.Add(p.ToString());
        }
        if (normalized.Count > 32) throw new ManagementException(ManagementError.BadRequest, "at most 32 platforms");
        await repositories.AuthorizeAsync(caller, target!.Route.Local.Value, RepositoryAccess.Manage, ct).ConfigureAwait(false);
        var request = new MirrorSyncRequest(target.ToString(), normalized, caller.Principal.Name);
        var (status, created) = await EnqueueAsync(request, ct).ConfigureAwait(false);
        if (created)
            audit.Record(caller.Principal.Name, caller.ClientAddress, AuditAction, "success", target.Route.Local.Value, target.Reference.ToString(),
                detail: $"job {status.Job.Id}; platforms: {(normalized.Count == 0 ? "all" : string.Join(", ", normalized))}");
        return (status, created);
    }

    /// <summary>Queues a sync unless the same one is queued or running (the schedule's way in: no caller to check).</summary>
    public async Task<(MirrorSyncStatus Status, bool Created)> EnqueueAsync(MirrorSyncRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = await jobs.EnqueueUniqueAsync(MirrorSyncJob.JobKind, request.UniqueKey, request.ToPayload(), time.GetUtcNow(), MaxAttempts, ct).ConfigureAwait(false);
        var job = await jobs.GetAsync(result.Id, ct).ConfigureAwait(false) ?? throw new InvalidOperationException($"job {result.Id} vanished");
        return (StatusOf(job), result.Created);
    }

    /// <returns>null when there is no sync with that id.</returns>
    public async Task<MirrorSyncStatus?> GetAsync(long id, CancellationToken ct)
    {
        var job = await jobs.GetAsync(id, ct).ConfigureAwait(false);
        return job is null || job.Kind != MirrorSyncJob.JobKind ? null : StatusOf(job);
    }

    /// <summary>The newest syncs, newest first.</summary>
    public async Task<IReadOnlyList<MirrorSyncStatus>> ListAsync(int limit, CancellationToken ct) =>
        (await jobs.ListAsync(MirrorSyncJob.JobKind, limit, ct).ConfigureAwait(false)).Select(StatusOf).ToList();

    /// <summary>Asks a sync to stop (the maintainer right on its repository, like starting it).</summary>
    /// <returns>null when there is no such sync; else the sync after asking, and whether the request was accepted (false: it already ended).</returns>
    public async Task<(MirrorSyncStatus Status, bool Cancelled)?> CancelAsync(RegistryCaller caller, long id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (await GetAsync(id, ct).ConfigureAwait(false) is not { } before) return null;
        if (MirrorSyncTarget.TryParse(router, before.Request.Reference, out var target, out _))
            await repositories.AuthorizeAsync(caller, target!.Route.Local.Value, RepositoryAccess.Manage, ct).ConfigureAwait(false);
        else
            IdentityService.RequireAdmin(caller); // its upstream is gone from the configuration: only an admin may touch it
        bool asked = await jobs.CancelAsync(id, ct).ConfigureAwait(false);
        return ((await GetAsync(id, ct).ConfigureAwait(false))!, asked);
    }

    private MirrorSyncStatus StatusOf(JobRecord job)
    {
        var request = SafeRequest(job.Payload);
        var progress = MirrorSyncProgress.FromMessage(job.ProgressMessage);
        double rate = 0;
        TimeSpan? eta = null;
        if (progress is not null)
        {
            var end = job.State == JobState.Running ? time.GetUtcNow() : job.UpdatedAt;
            double seconds = (end - progress.StartedAt).TotalSeconds;
            rate = seconds > 0 ? progress.Bytes / seconds : 0;
            long left = progress.BytesTotal - progress.Bytes - progress.BytesCached;
            if (job.State == JobState.Running && progress.Phase == "blobs" && rate > 0 && left > 0) eta = TimeSpan.FromSeconds(left / rate);
        }
        return new MirrorSyncStatus(job, request, progress, rate, eta);
    }

    private static MirrorSyncRequest SafeRequest(string payload)
    {
        try
        {
            return MirrorSyncRequest.FromPayload(payload);
        }
        catch (System.Text.Json.JsonException)
        {
            return new MirrorSyncRequest("?", [], "?");
        }
    }
}
