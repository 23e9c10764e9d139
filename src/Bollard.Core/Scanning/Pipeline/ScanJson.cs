using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bollard.Core.Scanning.Pipeline;

/// <summary>The stored JSON form of inventories and findings: camelCase, enums by name, nulls omitted (compact, and readable in the database).</summary>
public static class ScanJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    /// <exception cref="JsonException">Not a <typeparamref name="T"/>.</exception>
    public static T Deserialize<T>(ReadOnlySpan<byte> json) => JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException($"null {typeof(T).Name}");
}
