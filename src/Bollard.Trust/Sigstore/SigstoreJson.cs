using System.Globalization;
using System.Text.Json;

namespace Bollard.Trust.Sigstore;

/// <summary>
/// Reading protobuf-specs JSON (trusted roots, bundles): protobuf's JSON mapping writes bytes as base64 (standard or URL
/// alphabet), 64-bit integers as strings (numbers accepted too), timestamps as RFC 3339, and fields in lowerCamelCase
/// (snake_case accepted, as protobuf parsers do). Every failure is a <see cref="FormatException"/> naming the field.
/// </summary>
internal static class SigstoreJson
{
    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>The member <paramref name="name"/> (or its snake_case spelling), when present and not null.</summary>
    public static JsonElement? Get(JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object) return null;
        if (obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null) return value;
        string snake = ToSnake(name);
        if (snake != name && obj.TryGetProperty(snake, out value) && value.ValueKind != JsonValueKind.Null) return value;
        return null;
    }

    public static JsonElement Object(JsonElement obj, string name, string path)
    {
        var value = Get(obj, name) ?? throw new FormatException($"{path}.{name} is missing");
        return value.ValueKind == JsonValueKind.Object ? value : throw new FormatException($"{path}.{name} is not an object");
    }

    public static JsonElement? OptionalObject(JsonElement obj, string name, string path)
    {
        var value = Get(obj, name);
        if (value is null) return null;
        return value.Value.ValueKind == JsonValueKind.Object ? value : throw new FormatException($"{path}.{name} is not an object");
    }

    public static string? OptionalString(JsonElement obj, string name, string path, int maxLength = 4096)
    {
        var value = Get(obj, name);
        if (value is null) return null;
        if (value.Value.ValueKind != JsonValueKind.String) throw new FormatException($"{path}.{name} is not a string");
        string text = value.Value.GetString()!;
        return text.Length <= maxLength ? text : throw new FormatException($"{path}.{name} is longer than {maxLength} characters");
    }

    public static string String(JsonElement obj, string name, string path, int maxLength = 4096) =>
        OptionalString(obj, name, path, maxLength) ?? throw new FormatException($"{path}.{name} is missing");

    /// <summary>An array member, at most <paramref name="max"/> items; empty when absent.</summary>
    public static IReadOnlyList<JsonElement> Array(JsonElement obj, string name, string path, int max)
    {
        var value = Get(obj, name);
        if (value is null) return [];
        if (value.Value.ValueKind != JsonValueKind.Array) throw new FormatException($"{path}.{name} is not an array");
        int count = value.Value.GetArrayLength();
        if (count > max) throw new FormatException($"{path}.{name} has {count} items (at most {max} are accepted)");
        return value.Value.EnumerateArray().ToList();
    }

    public static byte[]? OptionalBytes(JsonElement obj, string name, string path, int maxBytes)
    {
        string? text = OptionalString(obj, name, path, (maxBytes + 2) / 3 * 4 + 4);
        if (text is null) return null;
        return DecodeBase64(text) ?? throw new FormatException($"{path}.{name} is not base64");
    }

    public static byte[] Bytes(JsonElement obj, string name, string path, int maxBytes) =>
        OptionalBytes(obj, name, path, maxBytes) ?? throw new FormatException($"{path}.{name} is missing");

    /// <summary>Standard or URL-safe base64, padded or not (protobuf's JSON parsers accept both).</summary>
    public static byte[]? DecodeBase64(string text)
    {
        // PEM bodies carry line breaks; padding is judged on the characters that count.
        string normalized = string.Concat(text.Where(c => !char.IsWhiteSpace(c))).Replace('-', '+').Replace('_', '/');
        int pad = normalized.Length % 4;
        if (pad == 1) return null;
        if (pad > 0) normalized += new string('=', 4 - pad);
        var buffer = new byte[normalized.Length / 4 * 3];
        return Convert.TryFromBase64String(normalized, buffer, out int written) ? buffer[..written] : null;
    }

    /// <summary>A 64-bit integer written as a JSON string (protobuf's mapping) or number.</summary>
    public static long? OptionalInt64(JsonElement obj, string name, string path)
    {
        var value = Get(obj, name);
        if (value is null) return null;
        long result;
        bool ok = value.Value.ValueKind switch
        {
            JsonValueKind.Number => value.Value.TryGetInt64(out result),
            JsonValueKind.String => long.TryParse(value.Value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out result),
            _ => (result = 0) != 0,
        };
        return ok ? result : throw new FormatException($"{path}.{name} is not a 64-bit integer");
    }

    public static DateTimeOffset? OptionalTime(JsonElement obj, string name, string path)
    {
        string? text = OptionalString(obj, name, path, 64);
        if (text is null) return null;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw new FormatException($"{path}.{name} is not an RFC 3339 time: '{text}'");
    }

    public static ValidityPeriod Validity(JsonElement obj, string path)
    {
        var range = OptionalObject(obj, "validFor", path);
        if (range is null) return ValidityPeriod.Always;
        var period = new ValidityPeriod(OptionalTime(range.Value, "start", path + ".validFor"), OptionalTime(range.Value, "end", path + ".validFor"));
        if (period is { Start: { } s, End: { } e } && e < s) throw new FormatException($"{path}.validFor ends before it starts");
        return period;
    }

    private static string ToSnake(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        foreach (char c in name)
        {
            if (char.IsAsciiLetterUpper(c)) builder.Append('_').Append(char.ToLowerInvariant(c));
            else builder.Append(c);
        }
        return builder.ToString();
    }
}
