using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bollard.Server.Management;

/// <summary>The answer of <c>DELETE /api/v1/repositories/{name}</c>: what was removed (metadata only; GC frees the bytes).</summary>
public sealed record RepositoryDeletedView(string Name, int Tags, int Manifests, int BlobLinks, int UploadsCancelled);

/// <summary>Storage usage in bytes (see docs/api.md, "Storage usage"): unique = what deleting it would free.</summary>
public sealed record UsageView(long TotalBytes, long UniqueBytes, long ManifestBytes, long Manifests, long Blobs)
{
    public static UsageView Of(Bollard.Core.Usage.StorageUsage u) => new(u.TotalBytes, u.UniqueBytes, u.ManifestBytes, u.Manifests, u.Blobs);
}

public sealed record NamespaceUsageView(string Namespace, long TotalBytes, long UniqueBytes, long ManifestBytes, long Manifests, long Blobs);

/// <summary><c>GET /api/v1/usage</c>: the registry total (admins only) and the namespaces the caller may see.</summary>
public sealed record UsageOverview(UsageView? Registry, IReadOnlyList<NamespaceUsageView> Namespaces);

/// <summary>A quota: its pattern, limit and what the matching repositories hold now (a shared blob counted once).</summary>
public sealed record QuotaView(string Namespace, long LimitBytes, long UsedBytes, bool Exceeded, string Limit, string Used)
{
    public static QuotaView Of(Bollard.Core.Usage.Quotas.Quota q) => new(q.Pattern.Value, q.LimitBytes, q.Usage.TotalBytes, q.Usage.TotalBytes > q.LimitBytes,
        Bollard.Core.Usage.ByteSize.Format(q.LimitBytes), Bollard.Core.Usage.ByteSize.Format(q.Usage.TotalBytes, roundUp: true));
}

/// <summary><c>PUT /api/v1/quotas/{pattern}</c>: the limit, e.g. <c>10GiB</c>, <c>500MB</c> or a number of bytes.</summary>
public sealed record QuotaRequest(string? Limit);

/// <summary><c>GET /api/v1/repositories/{name}</c>.</summary>
public sealed record RepositoryView(string Name, string Namespace, UsageView Usage, IReadOnlyList<QuotaView> Quotas);

/// <summary>
/// The JSON of the repository, usage and quota endpoints (issue 7), kept apart from <see cref="ManagementJson"/> so
/// each feature owns its models; added to the same resolver chain by <c>AddBollardUsage</c>.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RepositoryDeletedView))]
[JsonSerializable(typeof(UsageOverview))]
[JsonSerializable(typeof(QuotaView))]
[JsonSerializable(typeof(List<QuotaView>))]
[JsonSerializable(typeof(QuotaRequest))]
[JsonSerializable(typeof(RepositoryView))]
public sealed partial class UsageJson : JsonSerializerContext;
