using System.Text.Json.Serialization;

namespace Bollard.Core.Registry;

[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSourceGenerationOptions(WriteIndented = false)]
internal sealed partial class CoreJson : JsonSerializerContext;
