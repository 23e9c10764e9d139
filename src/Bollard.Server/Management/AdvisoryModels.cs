using System.Text.Json;
using System.Text.Json.Serialization;
using Bollard.Core.Jobs;
using Bollard.Core.Scanning.Advisories;
using Bollard.Scanning.Advisories;

namespace Bollard.Server.Management;

/// <summary>One advisory import (history row, or the answer of <c>POST /api/v1/advisories/import</c> with its warnings and changed packages).</summary>
public sealed record AdvisoryImportView(
    long Id, DateTimeOffset ImportedAt, string Feed, string Source, string Path, int Added, int Changed, int Removed, int Unchanged, int Warnings,
    long DurationMs, IReadOnlyList<string>? WarningMessages = null, int? ChangedPackages = null)
{
    public static AdvisoryImportView From(AdvisoryImportRecord r, AdvisoryImportResult? result = null) => new(
        r.Id, r.ImportedAt, r.Feed, r.Source, r.Path, r.Added, r.Changed, r.Removed, r.Unchanged, r.Warnings, (long)r.Duration.TotalMilliseconds,
        result?.Warnings, result?.ChangedKeys.Count);
}

/// <summary><c>GET /api/v1/advisories/imports</c>: the newest imports first, and the advisories stored per feed.</summary>
public sealed record AdvisoryImportListView(IReadOnlyList<AdvisoryImportView> Imports, IReadOnlyDictionary<string, int> Feeds);

/// <summary>One stored advisory with its feed and content hash.</summary>
public sealed record AdvisoryRecordView(string Feed, string Hash, Advisory Advisory);

/// <summary><c>GET /api/v1/advisories/{id}</c>: every stored advisory with that id or alias (one per feed and source).</summary>
public sealed record AdvisoryLookupView(string Id, IReadOnlyList<AdvisoryRecordView> Advisories);

/// <summary>One <c>rematch</c> job: state <c>queued</c>/<c>running</c>/<c>succeeded</c>/<c>failed</c>/<c>cancelled</c>, progress 0 to 1 and its message (the summary when done), the last error of a failed attempt.</summary>
public sealed record RematchView(long Id, string State, int Attempts, int MaxAttempts, double Progress, string? Message, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static RematchView From(JobRecord j)
    {
        ArgumentNullException.ThrowIfNull(j);
        string state = j.State switch
        {
            JobState.Queued => "queued",
            JobState.Running => "running",
            JobState.Succeeded => "succeeded",
            JobState.Failed => "failed",
            _ => "cancelled",
        };
        return new(j.Id, state, j.Attempts, j.MaxAttempts, j.Progress, j.ProgressMessage, j.LastError, j.CreatedAt, j.UpdatedAt);
    }
}

/// <summary><c>GET /api/v1/advisories/rematches</c>: the newest re-match jobs first.</summary>
public sealed record RematchListView(IReadOnlyList<RematchView> Rematches);

/// <summary>The JSON of the advisory endpoints, added to the resolver chain by <c>AddBollardAdvisoryApi</c>.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(AdvisoryImportView))]
[JsonSerializable(typeof(AdvisoryImportListView))]
[JsonSerializable(typeof(AdvisoryLookupView))]
[JsonSerializable(typeof(RematchListView))]
public sealed partial class AdvisoryApiJson : JsonSerializerContext;
