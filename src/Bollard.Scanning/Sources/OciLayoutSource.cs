using System.Text.Json;
using Bollard.Core.Oci;

namespace Bollard.Scanning.Sources;

/// <summary>
/// <c>oci:DIR[:TAG]</c>: an OCI image layout folder (image-spec image-layout.md: <c>oci-layout</c>,
/// <c>index.json</c>, <c>blobs/ALG/HEX</c>), as <c>skopeo copy ... oci:DIR:TAG</c> and <c>umoci</c> write it. The tag
/// is the <c>org.opencontainers.image.ref.name</c> annotation of an <c>index.json</c> entry; without one the layout
/// must hold a single image. The repository name in reports is the folder's name.
/// </summary>
public sealed class OciLayoutSource(string directory, string? tag) : IImageSource
{
    private const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    public string Name => tag is null ? $"oci:{directory}" : $"oci:{directory}:{tag}";

    public async Task<IReadOnlyList<SourceImage>> ResolveAsync(PlatformSelection platforms, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(platforms);
        if (!Directory.Exists(directory)) throw new ImageSourceException(ImageSourceError.NotFound, $"{Name}: no such directory");
        if (!File.Exists(Path.Combine(directory, "oci-layout")))
            throw new ImageSourceException(ImageSourceError.Invalid, $"{Name}: not an OCI image layout (no oci-layout file)");
        string indexPath = Path.Combine(directory, "index.json");
        if (!File.Exists(indexPath)) throw new ImageSourceException(ImageSourceError.Invalid, $"{Name}: not an OCI image layout (no index.json)");
        byte[] index;
        await using (var stream = File.OpenRead(indexPath))
            index = await ManifestWalker.ReadBoundedAsync(stream, ManifestWalker.MaxManifestBytes, "index.json", ct).ConfigureAwait(false);

        var entries = new List<(Descriptor Descriptor, string? RefName)>();
        try
        {
            using var doc = JsonDocument.Parse(index);
            if (!doc.RootElement.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array)
                throw new ImageSourceException(ImageSourceError.Invalid, $"{Name}: index.json has no manifests list");
            foreach (var m in manifests.EnumerateArray())
            {
                string? mediaType = m.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString() : null;
                string? digest = m.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                long size = m.TryGetProperty("size", out var sz) && sz.ValueKind == JsonValueKind.Number ? sz.GetInt64() : -1;
                if (mediaType is null || !Digest.TryParse(digest, out var parsed) || size < 0)
                    throw new ImageSourceException(ImageSourceError.Invalid, $"{Name}: index.json has an entry without a valid mediaType, digest and size");
                string? name = m.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object
                    && a.TryGetProperty(RefNameAnnotation, out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                entries.Add((new Descriptor(mediaType, parsed, size), name));
            }
        }
        catch (JsonException e)
        {
            throw new ImageSourceException(ImageSourceError.Invalid, $"{Name}: index.json is not valid JSON ({e.Message.Split('.')[0]})", e);
        }

        var picked = tag is null
            ? entries
            : entries.Where(e => e.RefName == tag).ToList();
        if (picked.Count == 0)
        {
            var tags = entries.Select(e => e.RefName).OfType<string>().ToList();
            throw new ImageSourceException(ImageSourceError.NotFound, tag is null
                ? $"{Name}: the layout holds no image"
                : $"{Name}: no image tagged '{tag}' (tags: {(tags.Count == 0 ? "none" : string.Join(", ", tags))})");
        }
        if (picked.Count > 1 && tag is null)
            throw new ImageSourceException(ImageSourceError.NotFound,
                $"{Name}: the layout holds {picked.Count} images; name one with oci:DIR:TAG (tags: {string.Join(", ", entries.Select(e => e.RefName ?? "-"))})");

        string repository = Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar));
        var (descriptor, refName) = picked[0];
        byte[] body = await ReadSmallAsync(descriptor, ManifestWalker.MaxManifestBytes, ct).ConfigureAwait(false);
        return await ManifestWalker.WalkAsync(body, descriptor.MediaType, repository, tag ?? refName, platforms,
            (d, c) => ReadSmallAsync(d, ManifestWalker.MaxManifestBytes, c), (d, c) => ReadSmallAsync(d, ManifestWalker.MaxConfigBytes, c), ct).ConfigureAwait(false);
    }

    public ValueTask<Stream> OpenAsync(Descriptor blob, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(blob);
        string path = BlobPath(blob.Digest);
        if (!File.Exists(path)) throw new ImageSourceException(ImageSourceError.Invalid, $"{Name}: blob {blob.Digest} is missing from the layout");
        return ValueTask.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true));
    }

    public void Dispose()
    {
    }

    private string BlobPath(Digest digest) => Path.Combine(directory, "blobs", digest.Algorithm.Name, digest.Hex);

    private async Task<byte[]> ReadSmallAsync(Descriptor descriptor, int max, CancellationToken ct)
    {
        await using var stream = await OpenAsync(descriptor, ct).ConfigureAwait(false);
        return await ManifestWalker.ReadBoundedAsync(stream, max, $"{Name}: blob {descriptor.Digest}", ct).ConfigureAwait(false);
    }
}
