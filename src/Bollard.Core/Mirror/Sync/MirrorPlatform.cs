using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Bollard.Core.Oci;

namespace Bollard.Core.Mirror.Sync;

/// <summary>
/// A platform a sync fetches from an index: <c>linux/amd64</c>, <c>linux/arm64/v8</c>, <c>linux/arm/v7</c> (the
/// <c>--platform</c> syntax of docker and podman). Without a variant it matches every variant of that OS and
/// architecture; <c>arm64</c> without a variant in the index is <c>v8</c> (image-spec image-index.md).
/// </summary>
public sealed record MirrorPlatform(string Os, string Architecture, string? Variant)
{
    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";

    public static bool TryParse(string? text, [NotNullWhen(true)] out MirrorPlatform? platform)
    {
        platform = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 100) return false;
        var parts = text.Trim().ToLowerInvariant().Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0 || !p.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))) return false;
        platform = new MirrorPlatform(parts[0], parts[1], parts.Length == 3 ? parts[2] : null);
        return true;
    }

    public bool Matches(MirrorPlatform other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!string.Equals(Os, other.Os, StringComparison.OrdinalIgnoreCase) || !string.Equals(Architecture, other.Architecture, StringComparison.OrdinalIgnoreCase)) return false;
        if (Variant is null) return true;
        string? theirs = other.Variant ?? (Architecture == "arm64" ? "v8" : null);
        return string.Equals(Variant, theirs, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The children of an index with their platforms, in the index's order (the descriptor parser does not keep
    /// <c>platform</c>, so it is read here from the exact bytes). A child without a platform gets null.
    /// </summary>
    public static IReadOnlyList<(Digest Digest, string MediaType, MirrorPlatform? Platform)> ChildrenOf(byte[] index)
    {
        var children = new List<(Digest, string, MirrorPlatform?)>();
        using var doc = JsonDocument.Parse(index);
        if (!doc.RootElement.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array) return children;
        foreach (var m in manifests.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("digest", out var d) || d.ValueKind != JsonValueKind.String
                || !Digest.TryParse(d.GetString(), out var digest)) continue;
            string mediaType = m.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString()! : "";
            MirrorPlatform? platform = null;
            if (m.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object
                && p.TryGetProperty("os", out var os) && os.ValueKind == JsonValueKind.String
                && p.TryGetProperty("architecture", out var arch) && arch.ValueKind == JsonValueKind.String)
            {
                string? variant = p.TryGetProperty("variant", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                platform = new MirrorPlatform(os.GetString()!, arch.GetString()!, string.IsNullOrEmpty(variant) ? null : variant);
            }
            children.Add((digest, mediaType, platform));
        }
        return children;
    }
}
