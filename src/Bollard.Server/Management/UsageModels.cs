using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bollard.Server.Management;

/// <summary>The answer of <c>DELETE /api/v1/repositories/{name}</c>: what was removed (metadata only; GC frees the bytes).</summary>
public sealed record RepositoryDeletedView(string Name, int Tags, int Manifests, int BlobLinks, int UploadsCancelled);

/// <summary>
/// The JSON of the repository, usage and quota endpoints (issue 7), kept apart from <see cref="ManagementJson"/> so
/// each feature owns its models; added to the same resolver chain by <c>AddBollardUsage</c>.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RepositoryDeletedView))]
public sealed partial class UsageJson : JsonSerializerContext;
