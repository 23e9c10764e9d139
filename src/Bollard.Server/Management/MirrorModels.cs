using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bollard.Core.Jobs;
using Bollard.Core.Mirror;
using Bollard.Core.Mirror.Eviction;
using Bollard.Core.Mirror.Sync;

namespace Bollard.Server.Management;

/// <summary><c>GET /api/v1/mirror/upstreams</c>.</summary>
/// <param name="Namespace">The mirror prefix (<c>mirror</c>).</param>
/// <param name="Transparent">The upstream that transparent requests without <c>?ns=</c> go to; null: none.</param>
public sealed record MirrorUpstreamList(string Namespace, string? Transparent, IReadOnlyList<MirrorUpstreamView> Upstreams);

/// <param name="TagTtl">How long a cached tag is served without asking the upstream (<c>hh:mm:ss</c>, as in the configuration).</param>
/// <param name="Sync">The scheduled sync list (upstream references).</param>
/// <param name="SyncInterval">How often the sync list runs; <c>00:00:00</c>: only on demand.</param>
/// <param name="EvictAfter">Images not pulled this long are evicted; null: kept.</param>
/// <param name="CachedTags">Tags cached from this upstream.</param>
/// <param name="StaleTags">Of those, how many are stale (the last revalidation failed, or the upstream removed the tag).</param>
/// <param name="Credentials">Where the upstream's credentials come from (never the password).</param>
public sealed record MirrorUpstreamView(
    string Name, string Url, string TagTtl, IReadOnlyList<string> Sync, IReadOnlyList<string> SyncPlatforms, string SyncInterval, string? EvictAfter,
    MirrorCountersView Counters, int CachedTags, int StaleTags, MirrorCredentialsView? Credentials = null);

/// <summary>An upstream's credentials as listings show them: whether some are stored and which apply; never a password.</summary>
/// <param name="Stored">An admin stored credentials (<c>bollard mirror login</c>); they win over the configuration's.</param>
/// <param name="Source">The credentials used: <c>stored</c>, <c>file</c> (PasswordFile), <c>config</c> (Password) or <c>none</c> (anonymous).</param>
/// <param name="StoredBy">Who stored them (with <see cref="Stored"/>).</param>
public sealed record MirrorCredentialsView(bool Stored, string Source, string? StoredBy, DateTimeOffset? StoredAt);

/// <summary><c>PUT /api/v1/mirror/upstreams/NAME/credentials</c>: stored sealed, never returned.</summary>
public sealed record MirrorCredentialsRequestBody(string? Username, string? Password)
{
    public override string ToString() => $"MirrorCredentialsRequestBody {{ Username = {Username} }}";
}

/// <summary>What the mirror did for one upstream since the process started (also <c>bollard_mirror_*</c> metrics).</summary>
/// <param name="Errors">Upstream errors by kind (<c>unreachable</c>, <c>timeout</c>, <c>rateLimited</c>, ...).</param>
public sealed record MirrorCountersView(
    long ManifestHits, long ManifestMisses, long BlobHits, long BlobMisses, long Revalidations, long StaleServed, long BytesFetched, long BytesSaved,
    IReadOnlyDictionary<string, long> Errors)
{
    public static MirrorCountersView Of(MirrorCounters.Upstream c) => new(
        c.ManifestHits, c.ManifestMisses, c.BlobHits, c.BlobMisses, c.Revalidations, c.StaleServed, c.BytesFetched, c.BytesSaved,
        c.Errors.OrderBy(e => e.Key).ToDictionary(e => JsonNamingPolicy.CamelCase.ConvertName(e.Key.ToString()), e => e.Value));
}

/// <summary>A cached tag in <c>GET /api/v1/mirror/tags</c>.</summary>
/// <param name="Repository">The mirrored repository (<c>mirror/docker.io/library/debian</c>).</param>
/// <param name="Reference">The upstream reference (<c>docker.io/library/debian:bookworm</c>).</param>
/// <param name="CheckedAt">When the upstream last confirmed the tag.</param>
/// <param name="Stale">The last revalidation failed (<see cref="LastError"/>) or the upstream removed the tag; the cache is served.</param>
public sealed record MirrorTagView(
    string Repository, string Upstream, string Reference, string Tag, string Digest, DateTimeOffset CheckedAt, bool Stale,
    DateTimeOffset? FailedAt, string? LastError, bool RemovedUpstream)
{
    public static MirrorTagView Of(MirrorTagState s, MirrorRoute route) => new(
        s.Repository.Value, route.Upstream.Name, $"{route}:{s.Tag}", s.Tag, s.Digest.ToString(), s.CheckedAt, s.Stale, s.FailedAt, s.LastError, s.RemovedUpstream);
}

public sealed record MirrorTagList(IReadOnlyList<MirrorTagView> Tags);

/// <summary><c>POST /api/v1/mirror/sync</c>.</summary>
/// <param name="Reference"><c>docker.io/library/debian:bookworm</c> (a tag or <c>@digest</c>).</param>
/// <param name="Platforms">The platforms of an index to fetch (<c>linux/amd64</c>); null, empty or <c>["all"]</c>: every platform.</param>
public sealed record MirrorSyncRequestBody(string? Reference, IReadOnlyList<string>? Platforms);

/// <summary>A sync job.</summary>
/// <param name="State"><c>Queued</c>, <c>Running</c>, <c>Succeeded</c>, <c>Failed</c>, <c>Cancelled</c>.</param>
/// <param name="Platforms">The platforms asked for; empty: all.</param>
/// <param name="Created">On start: false when the same sync was already queued or running (this is that one).</param>
public sealed record MirrorSyncView(
    long Id, string State, string Reference, IReadOnlyList<string> Platforms, string RequestedBy, int Attempts, string? LastError, bool CancelRequested,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, MirrorSyncProgressView Progress, bool? Created = null)
{
    public static MirrorSyncView Of(MirrorSyncStatus s, bool? created = null)
    {
        var p = s.Progress;
        return new MirrorSyncView(
            s.Job.Id, s.Job.State.ToString(), s.Request.Reference, s.Request.Platforms, s.Request.RequestedBy, s.Job.Attempts, s.Job.LastError,
            s.Job.CancelRequested, s.Job.CreatedAt, s.Job.UpdatedAt,
            new MirrorSyncProgressView(
                s.Job.State == JobState.Succeeded ? 1 : Math.Round(s.Job.Progress, 4), p?.Phase ?? "queued", p?.Digest, p?.Platforms ?? [],
                p?.Manifests ?? 0, p?.ManifestsTotal ?? 0, p?.Blobs ?? 0, p?.BlobsTotal ?? 0, p?.BlobsCached ?? 0,
                p?.Bytes ?? 0, p?.BytesTotal ?? 0, p?.BytesCached ?? 0, Math.Round(s.Rate), s.Eta is { } eta ? Math.Ceiling(eta.TotalSeconds) : null),
            created);
    }
}

/// <param name="Fraction">0 to 1.</param>
/// <param name="Phase"><c>queued</c>, <c>manifests</c>, <c>blobs</c>, <c>done</c>.</param>
/// <param name="Digest">The manifest the reference resolved to.</param>
/// <param name="Platforms">The platforms fetched from an index.</param>
/// <param name="Blobs">Blobs fetched by this sync.</param>
/// <param name="BlobsCached">Blobs that were already cached (not fetched again).</param>
/// <param name="Bytes">Bytes fetched from the upstream by this sync.</param>
/// <param name="BytesTotal">Bytes of every blob the sync covers, cached ones included.</param>
/// <param name="Rate">Bytes fetched per second.</param>
/// <param name="EtaSeconds">Estimated seconds left; null when unknown or ended.</param>
public sealed record MirrorSyncProgressView(
    double Fraction, string Phase, string? Digest, IReadOnlyList<string> Platforms, int Manifests, int ManifestsTotal, int Blobs, int BlobsTotal, int BlobsCached,
    long Bytes, long BytesTotal, long BytesCached, double Rate, double? EtaSeconds);

public sealed record MirrorSyncList(IReadOnlyList<MirrorSyncView> Syncs);

/// <summary>An eviction run.</summary>
/// <param name="Message">What it did (<c>2 tags and 3 manifests evicted, ...</c>) once it ran.</param>
public sealed record MirrorEvictionView(
    long Id, string State, string RequestedBy, string? Message, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, bool? Created = null)
{
    public static MirrorEvictionView Of(JobRecord job, bool? created = null) => new(
        job.Id, job.State.ToString(), MirrorEvictionService.RequestedBy(job), job.ProgressMessage, job.LastError, job.CreatedAt, job.UpdatedAt, created);
}

/// <summary>Formats options' durations as the configuration writes them.</summary>
internal static class MirrorDurations
{
    public static string Of(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}

/// <summary>The JSON shapes of the mirror endpoints (added to the management API's resolver chain).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MirrorUpstreamList))]
[JsonSerializable(typeof(MirrorTagList))]
[JsonSerializable(typeof(MirrorTagView))]
[JsonSerializable(typeof(MirrorSyncRequestBody))]
[JsonSerializable(typeof(MirrorSyncView))]
[JsonSerializable(typeof(MirrorSyncList))]
[JsonSerializable(typeof(MirrorEvictionView))]
[JsonSerializable(typeof(MirrorCredentialsRequestBody))]
[JsonSerializable(typeof(MirrorCredentialsView))]
public sealed partial class MirrorJson : JsonSerializerContext;
