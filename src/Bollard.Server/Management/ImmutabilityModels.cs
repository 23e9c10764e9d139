using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bollard.Server.Management;

public sealed record ImmutabilityRuleRequest(string? Namespace, string? Tag);

public sealed record ImmutabilityRuleView(long Id, string Namespace, string Tag, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>The JSON shapes of the immutability endpoints (added to the management API's resolver chain).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImmutabilityRuleRequest))]
[JsonSerializable(typeof(ImmutabilityRuleView))]
[JsonSerializable(typeof(List<ImmutabilityRuleView>))]
public sealed partial class ImmutabilityJson : JsonSerializerContext;
