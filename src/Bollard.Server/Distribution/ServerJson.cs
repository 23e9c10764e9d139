using System.Text.Json.Serialization;

namespace Bollard.Server.Distribution;

public sealed record TagList(string Name, IReadOnlyList<string> Tags);

public sealed record Catalog(IReadOnlyList<string> Repositories);

public sealed record ReferrersIndex(int SchemaVersion, string MediaType, IReadOnlyList<ReferrerDescriptor> Manifests);

public sealed record ReferrerDescriptor(
    string MediaType,
    string Digest,
    long Size,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ArtifactType,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Annotations);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(TagList))]
[JsonSerializable(typeof(Catalog))]
[JsonSerializable(typeof(ReferrersIndex))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class ServerJson : JsonSerializerContext;
