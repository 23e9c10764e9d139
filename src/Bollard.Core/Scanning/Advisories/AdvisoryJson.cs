using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bollard.Core.Scanning.Advisories;

/// <summary>
/// The stored form of an <see cref="Advisory"/> (camelCase JSON, enums by name, nulls omitted) and its content hash
/// (SHA-256 of that form, lower-case hex): the same advisory always serializes to the same bytes, so a re-import
/// compares hashes instead of contents.
/// </summary>
public static class AdvisoryJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public static byte[] Serialize(Advisory advisory) => JsonSerializer.SerializeToUtf8Bytes(advisory, Options);

    /// <exception cref="JsonException">Not an advisory.</exception>
    public static Advisory Deserialize(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<Advisory>(json, Options) ?? throw new JsonException("null advisory");

    public static string Hash(byte[] serialized) => Convert.ToHexStringLower(SHA256.HashData(serialized));
}
