using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Scanning.Layers;
using Bollard.Scanning.Sbom;

namespace Bollard.Scanning.Sources;

/// <summary>
/// From a manifest (image or index) to the images to scan, the same for every source: an index is followed to its
/// platforms' manifests (attestation entries with platform <c>unknown/unknown</c> skipped), each image manifest gives
/// its layers and its config (read bounded).
/// </summary>
internal static class ManifestWalker
{
    public const int MaxManifestBytes = 4 << 20;
    public const int MaxConfigBytes = 8 << 20;
    private const int MaxDepth = 2;

    /// <param name="fetch">Reads a child manifest by digest (bytes, media type or null).</param>
    /// <param name="readBlob">Reads a small blob (the config), bounded to <see cref="MaxConfigBytes"/>.</param>
    public static async Task<IReadOnlyList<SourceImage>> WalkAsync(
        byte[] body, string? mediaType, string repository, string? tag, PlatformSelection platforms,
        Func<Descriptor, CancellationToken, Task<byte[]>> fetch, Func<Descriptor, CancellationToken, Task<byte[]>> readBlob, CancellationToken ct)
    {
        var images = new List<SourceImage>();
        await WalkAsync(body, mediaType, repository, tag, platforms, fetch, readBlob, images, null, 0, ct).ConfigureAwait(false);
        return images;
    }

    private static async Task WalkAsync(
        byte[] body, string? mediaType, string repository, string? tag, PlatformSelection platforms,
        Func<Descriptor, CancellationToken, Task<byte[]>> fetch, Func<Descriptor, CancellationToken, Task<byte[]>> readBlob,
        List<SourceImage> images, string? platform, int depth, CancellationToken ct)
    {
        ParsedManifest manifest;
        try
        {
            manifest = ManifestParser.Parse(body, mediaType);
        }
        catch (Exception e) when (e is OciException or JsonException or FormatException or InvalidOperationException)
        {
            throw new ImageSourceException(ImageSourceError.Invalid, $"the manifest of {repository} is not valid: {e.Message}", e);
        }
        string digest = Digest.Compute(DigestAlgorithm.Sha256, body).ToString();
        if (manifest.IsIndex)
        {
            if (depth >= MaxDepth) throw new ImageSourceException(ImageSourceError.Invalid, $"{repository}: index nested more than {MaxDepth} deep");
            var entries = IndexPlatforms(body);
            var wanted = new List<(Descriptor Child, string? Platform)>();
            var available = new List<string>();
            for (int i = 0; i < manifest.Manifests.Count; i++)
            {
                var child = manifest.Manifests[i];
                var (os, arch, variant) = i < entries.Count ? entries[i] : (null, null, null);
                if (os == "unknown" || arch == "unknown") continue; // buildx attestation manifests
                string? name = os is null || arch is null ? null : variant is null ? $"{os}/{arch}" : $"{os}/{arch}/{variant}";
                if (name is not null) available.Add(name);
                if (platforms.All || platforms.Matches(os, arch, variant)) wanted.Add((child, name));
            }
            if (wanted.Count == 0)
                throw new ImageSourceException(ImageSourceError.NotFound,
                    $"{repository} has no image for {platforms.Platform} (platforms: {(available.Count == 0 ? "none" : string.Join(", ", available))}; use --platform or --all-platforms)");
            foreach (var (child, name) in wanted)
            {
                byte[] childBody = await fetch(child, ct).ConfigureAwait(false);
                Verify(child, childBody, repository);
                await WalkAsync(childBody, child.MediaType, repository, tag, platforms, fetch, readBlob, images, name, depth + 1, ct).ConfigureAwait(false);
            }
            return;
        }
        if (manifest.Config is not { } config)
            throw new ImageSourceException(ImageSourceError.Invalid, $"{repository}@{digest} is not an image manifest (no config)");
        byte[] configJson = await readBlob(config, ct).ConfigureAwait(false);
        Verify(config, configJson, repository);
        images.Add(new SourceImage(new SbomSubject(repository, tag, digest), new ImageToScan(digest, manifest.Layers, configJson), platform ?? ConfigPlatform(configJson)));
    }

    private static void Verify(Descriptor descriptor, byte[] content, string repository)
    {
        if (Digest.Compute(descriptor.Digest.Algorithm, content) != descriptor.Digest)
            throw new ImageSourceException(ImageSourceError.Invalid, $"{repository}: {descriptor.Digest} does not match its content");
    }

    /// <summary>The platforms of an index's entries, in order (null parts when an entry has none).</summary>
    private static List<(string? Os, string? Arch, string? Variant)> IndexPlatforms(byte[] body)
    {
        var result = new List<(string?, string?, string?)>();
        using var doc = JsonDocument.Parse(body);
        if (!doc.RootElement.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array) return result;
        foreach (var m in manifests.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.Object && m.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object)
                result.Add((Text(p, "os"), Text(p, "architecture"), Text(p, "variant")));
            else
                result.Add((null, null, null));
        }
        return result;
    }

    /// <summary><c>os/architecture[/variant]</c> of an image config, or null.</summary>
    public static string? ConfigPlatform(byte[] config)
    {
        try
        {
            using var doc = JsonDocument.Parse(config);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Text(root, "os") is not { } os || Text(root, "architecture") is not { } arch) return null;
            return Text(root, "variant") is { } v ? $"{os}/{arch}/{v}" : $"{os}/{arch}";
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;

    /// <summary>Reads a stream to its end, refusing more than <paramref name="max"/> bytes.</summary>
    public static async Task<byte[]> ReadBoundedAsync(Stream stream, int max, string what, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > max) throw new ImageSourceException(ImageSourceError.Invalid, $"{what} is larger than {max >> 20} MiB");
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }
}
