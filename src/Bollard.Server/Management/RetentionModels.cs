using System.Text.Json;
using System.Text.Json.Serialization;
using Bollard.Core.Retention;

namespace Bollard.Server.Management;

/// <param name="Order"><c>push</c> (default) or <c>pull</c>.</param>
/// <param name="UntaggedAfter">A duration like <c>30d</c>; null: this policy does not delete untagged manifests.</param>
public sealed record RetentionPolicyRequest(string? Namespace, int? KeepLast, string? Order, IReadOnlyList<string>? KeepTags, string? UntaggedAfter);

public sealed record RetentionPolicyView(long Id, string Namespace, int? KeepLast, string Order, IReadOnlyList<string> KeepTags, string? UntaggedAfter, string CreatedBy, DateTimeOffset CreatedAt);

public sealed record RetentionReportView(bool DryRun, int Repositories, IReadOnlyList<RetentionItem> Removed, IReadOnlyList<RetentionItem> Skipped);

/// <param name="LastPulledAt">The last GET or HEAD by this tag since it points at its manifest; null: none recorded.</param>
/// <param name="ManifestLastPulledAt">The last GET or HEAD of its manifest by any tag or its digest.</param>
public sealed record TagTimesView(string Tag, string Digest, DateTimeOffset PushedAt, DateTimeOffset? LastPulledAt, DateTimeOffset? ManifestLastPulledAt);

public sealed record TagTimesList(string Repository, IReadOnlyList<TagTimesView> Tags);

/// <summary>The JSON shapes of the retention endpoints (added to the management API's resolver chain).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RetentionPolicyRequest))]
[JsonSerializable(typeof(RetentionPolicyView))]
[JsonSerializable(typeof(List<RetentionPolicyView>))]
[JsonSerializable(typeof(RetentionReportView))]
[JsonSerializable(typeof(TagTimesList))]
public sealed partial class RetentionJson : JsonSerializerContext;
