using System.Text.Json;
using Bollard.Core.Auth;
using Bollard.Core.Jobs;

namespace Bollard.Core.Mirror.Eviction;

/// <summary>Starting and showing eviction runs on demand (admins); a run already queued or running (scheduled or not) answers instead.</summary>
public sealed class MirrorEvictionService(IJobStore jobs, JobOptions jobOptions, AuditRecorder audit, TimeProvider time)
{
    public async Task<(JobRecord Job, bool Created)> StartAsync(RegistryCaller caller, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        IdentityService.RequireAdmin(caller);
        string payload = $$"""{"requestedBy":"{{JsonEncodedText.Encode(caller.Principal.Name)}}"}""";
        var result = await jobs.EnqueueUniqueAsync(MirrorEvictionJob.JobKind, MirrorEvictionJob.JobKind, payload, time.GetUtcNow(), jobOptions.DefaultMaxAttempts, ct).ConfigureAwait(false);
        if (result.Created) audit.Record(caller.Principal.Name, caller.ClientAddress, "mirror.evict.start", "success", detail: $"job {result.Id}");
        return ((await jobs.GetAsync(result.Id, ct).ConfigureAwait(false))!, result.Created);
    }

    /// <returns>null when there is no eviction run with that id.</returns>
    public async Task<JobRecord?> GetAsync(RegistryCaller caller, long id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        IdentityService.RequireAdmin(caller);
        var job = await jobs.GetAsync(id, ct).ConfigureAwait(false);
        return job?.Kind == MirrorEvictionJob.JobKind ? job : null;
    }

    /// <summary>Who asked for a run (<c>schedule</c> for the recurring one).</summary>
    public static string RequestedBy(JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            using var doc = JsonDocument.Parse(job.Payload);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("requestedBy", out var b) && b.ValueKind == JsonValueKind.String
                ? b.GetString()! : "schedule";
        }
        catch (JsonException)
        {
            return "schedule";
        }
    }
}
