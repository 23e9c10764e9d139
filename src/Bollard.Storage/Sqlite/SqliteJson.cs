using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bollard.Storage.Sqlite;

/// <summary>
/// The JSON columns that hold lists of strings (warnings, reasons, certificate chains, advisory keys), serialized by
/// source-generated code: reflection-based System.Text.Json is not trim- or Native-AOT-safe. A list of strings has the
/// same form under every option set, so rows written before this context existed read back unchanged.
/// Internal to Storage: Core's JSON types keep their own contexts.
/// </summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(string[][]))]
internal sealed partial class SqliteJson : JsonSerializerContext
{
    public static string Strings(IEnumerable<string> values) => JsonSerializer.Serialize(values.ToArray(), Default.StringArray);

    /// <summary>A stored list; null or JSON null reads as empty.</summary>
    public static List<string> ReadStrings(string? json) => json is null ? [] : JsonSerializer.Deserialize(json, Default.ListString) ?? [];
}
