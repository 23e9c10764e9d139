using System.Text.Json;
using System.Text.Json.Serialization;
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

/// <summary>The JSON of the advisory endpoints, added to the resolver chain by <c>AddBollardAdvisoryApi</c>.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(AdvisoryImportView))]
[JsonSerializable(typeof(AdvisoryImportListView))]
[JsonSerializable(typeof(AdvisoryLookupView))]
public sealed partial class AdvisoryApiJson : JsonSerializerContext;
