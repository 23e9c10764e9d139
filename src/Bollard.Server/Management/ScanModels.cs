using System.Text.Json;
using System.Text.Json.Serialization;
using Bollard.Core.Scanning;

namespace Bollard.Server.Management;

/// <summary>An SBOM referrer of an image: Bollard's own (<c>generated</c>) or attached by the producer.</summary>
public sealed record SbomReferrerView(string Digest, string ArtifactType, long Size, bool Generated);

/// <summary><c>GET .../manifests/{digest}/scan</c>: the scan state (<c>none</c> when never queued) and the SBOM referrers.</summary>
public sealed record ScanStateView(
    string Repository, string Digest, string State, string? Reason, long? JobId, int? EngineVersion, string? AdvisoryGeneration, string? Platform,
    int Packages, int Findings, IReadOnlyList<string> Warnings, DateTimeOffset? QueuedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    DateTimeOffset? MatchedAt, IReadOnlyList<SbomReferrerView> Sboms);

/// <summary><c>POST .../manifests/{digest}/scan</c>.</summary>
public sealed record RescanView(string Repository, string Digest, long JobId);

/// <summary><c>GET .../manifests/{digest}/findings</c>: findings as the repository sees them (OpenVEX and exceptions applied), and counts by severity of the visible ones.</summary>
public sealed record FindingsView(string Repository, string Digest, string State, string? AdvisoryGeneration, IReadOnlyDictionary<string, int> Counts,
    IReadOnlyList<Finding> Findings, IReadOnlyList<string> Warnings);

/// <summary>One image in a repository's vulnerability summary.</summary>
public sealed record ImageSummaryView(string Digest, string MediaType, IReadOnlyList<string> Tags, string State, string? Reason, IReadOnlyDictionary<string, int> Counts);

/// <summary><c>GET /api/v1/vulnerabilities?repository=NAME</c>: per image and the repository's total (an image counted once per finding).</summary>
public sealed record RepositoryVulnerabilitiesView(string Repository, IReadOnlyDictionary<string, int> Counts, int ImageCount, int Scanned, IReadOnlyList<ImageSummaryView> Images);

/// <summary>One package hit of <c>GET /api/v1/packages</c>.</summary>
public sealed record PackageHitView(string Repository, string Digest, IReadOnlyList<string> Tags, string Type, string Name, string Version, string Purl, string Path);

public sealed record PackageHitsView(IReadOnlyList<PackageHitView> Packages, bool Truncated);

/// <summary><c>POST /api/v1/exceptions</c>.</summary>
public sealed record ScanExceptionRequest(string? AdvisoryId, string? Namespace, string? ImageDigest, string? Package, string? Reason, string? Owner, DateTimeOffset? ExpiresAt);

public sealed record ScanExceptionView(long Id, string AdvisoryId, string Namespace, string? ImageDigest, string? Package, string Reason, string Owner,
    DateTimeOffset ExpiresAt, bool Expired, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>The JSON of the scan, package and exception endpoints (issue 8), added to the resolver chain by <c>AddBollardScanning</c>.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ScanStateView))]
[JsonSerializable(typeof(RescanView))]
[JsonSerializable(typeof(FindingsView))]
[JsonSerializable(typeof(RepositoryVulnerabilitiesView))]
[JsonSerializable(typeof(PackageHitsView))]
[JsonSerializable(typeof(ImageSizeReport))]
[JsonSerializable(typeof(ScanExceptionRequest))]
[JsonSerializable(typeof(ScanExceptionView))]
[JsonSerializable(typeof(List<ScanExceptionView>))]
public sealed partial class ScanApiJson : JsonSerializerContext;
