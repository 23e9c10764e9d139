using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bollard.Core.Oci;

namespace Bollard.Scanning.Sources;

/// <summary>
/// <c>docker-archive:FILE</c>: the tar <c>docker save</c> and <c>skopeo copy ... docker-archive:FILE</c> write
/// (<c>manifest.json</c> naming each image's config file, tags and layer files). The archive has no registry
/// manifest, so one is made from it (a Docker v2 manifest of the config and layers, compact JSON) and its digest names
/// the image: the same archive always gives the same digest. A layer's digest is its config <c>diff_id</c> when the
/// layer is an uncompressed tar (what both tools write), else the SHA-256 of the file; the reader verifies it either
/// way. Every image of the archive is scanned.
/// </summary>
public sealed class DockerArchiveSource(string file) : IImageSource
{
    private const int MaxEntries = 100_000;
    private readonly Dictionary<Digest, string> _blobEntries = [];

    public string Name => $"docker-archive:{file}";

    public async Task<IReadOnlyList<SourceImage>> ResolveAsync(PlatformSelection platforms, CancellationToken ct)
    {
        if (!File.Exists(file)) throw new ImageSourceException(ImageSourceError.NotFound, $"{Name}: no such file");
        byte[] manifestJson = await ReadEntryAsync("manifest.json", ManifestWalker.MaxManifestBytes, ct).ConfigureAwait(false)
            ?? throw new ImageSourceException(ImageSourceError.Invalid, $"{Name}: not a docker archive (no manifest.json)");
        var images = new List<SourceImage>();
        try
        {
            using var doc = JsonDocument.Parse(manifestJson);
            if (doc.RootElement.ValueKind != JsonValueKind.Array || doc.RootElement.GetArrayLength() == 0)
                throw new ImageSourceException(ImageSourceError.Invalid, $"{Name}: manifest.json lists no image");
            foreach (var entry in doc.RootElement.EnumerateArray())
                images.Add(await ImageAsync(entry, ct).ConfigureAwait(false));
        }
        catch (JsonException e)
        {
            throw new ImageSourceException(ImageSourceError.Invalid, $"{Name}: manifest.json is not valid JSON", e);
        }
        catch (InvalidDataException e)
        {
            throw new ImageSourceException(ImageSourceError.Invalid, $"{Name}: not a readable tar archive ({e.Message})", e);
        }
        return images;
    }

    private async Task<SourceImage> ImageAsync(JsonElement entry, CancellationToken ct)
    {
        string configName = entry.TryGetProperty("Config", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : throw Invalid("an image without Config");
        var layerNames = entry.TryGetProperty("Layers", out var l) && l.ValueKind == JsonValueKind.Array
            ? l.EnumerateArray().Select(x => x.GetString() ?? throw Invalid("a layer that is not a file name")).ToList()
            : throw Invalid("an image without Layers");
        string? repoTag = entry.TryGetProperty("RepoTags", out var t) && t.ValueKind == JsonValueKind.Array && t.GetArrayLength() > 0 ? t[0].GetString() : null;

        byte[] config = await ReadEntryAsync(configName, ManifestWalker.MaxConfigBytes, ct).ConfigureAwait(false) ?? throw Invalid($"a missing config file {configName}");
        var configDigest = Digest.Compute(DigestAlgorithm.Sha256, config);
        _blobEntries[configDigest] = configName;
        var diffIds = DiffIds(config);

        var layers = new List<Descriptor>();
        for (int i = 0; i < layerNames.Count; i++)
        {
            var (size, compression, hash) = await InspectAsync(layerNames[i], hashIt: i >= diffIds.Count, ct).ConfigureAwait(false);
            Digest digest = compression == "tar" && i < diffIds.Count && Digest.TryParse(diffIds[i], out var diffId)
                ? diffId
                : hash ?? Digest.FromHash(DigestAlgorithm.Sha256, await HashEntryAsync(layerNames[i], ct).ConfigureAwait(false));
            _blobEntries[digest] = layerNames[i];
            string mediaType = compression switch
            {
                "gzip" => "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "zstd" => "application/vnd.oci.image.layer.v1.tar+zstd",
                _ => "application/vnd.docker.image.rootfs.diff.tar",
            };
            layers.Add(new Descriptor(mediaType, digest, size));
        }

        string manifestDigest = Digest.Compute(DigestAlgorithm.Sha256, SynthesizedManifest(configDigest, config.Length, layers)).ToString();
        var (repository, tag) = SplitRepoTag(repoTag);
        return new SourceImage(new Sbom.SbomSubject(repository, tag, manifestDigest),
            new Layers.ImageToScan(manifestDigest, layers, config), ManifestWalker.ConfigPlatform(config));
    }

    public async ValueTask<Stream> OpenAsync(Descriptor blob, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(blob);
        if (!_blobEntries.TryGetValue(blob.Digest, out string? name))
            throw new ImageSourceException(ImageSourceError.Invalid, $"{Name}: no layer {blob.Digest} in the archive");
        var opened = await OpenEntryAsync(name, ct).ConfigureAwait(false)
            ?? throw new ImageSourceException(ImageSourceError.Invalid, $"{Name}: {name} is missing from the archive");
        return opened;
    }

    public void Dispose()
    {
    }

    private ImageSourceException Invalid(string what) => new(ImageSourceError.Invalid, $"{Name}: manifest.json has {what}");

    /// <summary>The name before the last <c>:</c> after the last <c>/</c> is the repository, the rest the tag; no tag: the file's name.</summary>
    private (string Repository, string? Tag) SplitRepoTag(string? repoTag)
    {
        if (string.IsNullOrEmpty(repoTag)) return (Path.GetFileNameWithoutExtension(file), null);
        int slash = repoTag.LastIndexOf('/');
        int colon = repoTag.LastIndexOf(':');
        return colon > slash ? (repoTag[..colon], repoTag[(colon + 1)..]) : (repoTag, null);
    }

    private static List<string> DiffIds(byte[] config)
    {
        try
        {
            using var doc = JsonDocument.Parse(config);
            return doc.RootElement.TryGetProperty("rootfs", out var rootfs) && rootfs.TryGetProperty("diff_ids", out var ids) && ids.ValueKind == JsonValueKind.Array
                ? [.. ids.EnumerateArray().Select(i => i.GetString() ?? "")]
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static byte[] SynthesizedManifest(Digest config, long configSize, List<Descriptor> layers)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", MediaTypes.DockerManifest);
            json.WriteStartObject("config");
            json.WriteString("mediaType", "application/vnd.docker.container.image.v1+json");
            json.WriteNumber("size", configSize);
            json.WriteString("digest", config.ToString());
            json.WriteEndObject();
            json.WriteStartArray("layers");
            foreach (var layer in layers)
            {
                json.WriteStartObject();
                json.WriteString("mediaType", layer.MediaType);
                json.WriteNumber("size", layer.Size);
                json.WriteString("digest", layer.Digest.ToString());
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Size and compression of a layer entry (and its SHA-256 when <paramref name="hashIt"/>, in the same pass).</summary>
    private async Task<(long Size, string Compression, Digest? Hash)> InspectAsync(string name, bool hashIt, CancellationToken ct)
    {
        await using var stream = await OpenEntryAsync(name, ct).ConfigureAwait(false) ?? throw Invalid($"a missing layer file {name}");
        byte[] head = new byte[4];
        int n = await stream.ReadAtLeastAsync(head, 4, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        string compression = n >= 2 && head[0] == 0x1F && head[1] == 0x8B ? "gzip"
            : n >= 4 && head[0] == 0x28 && head[1] == 0xB5 && head[2] == 0x2F && head[3] == 0xFD ? "zstd"
            : "tar";
        long size = stream.Length;
        if (!hashIt && compression == "tar") return (size, compression, null);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(head, 0, n);
        byte[] chunk = new byte[1 << 16];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0) sha.AppendData(chunk, 0, read);
        return (size, compression, Digest.FromHash(DigestAlgorithm.Sha256, sha.GetHashAndReset()));
    }

    private async Task<byte[]> HashEntryAsync(string name, CancellationToken ct)
    {
        await using var stream = await OpenEntryAsync(name, ct).ConfigureAwait(false) ?? throw Invalid($"a missing layer file {name}");
        return await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false);
    }

    private async Task<byte[]?> ReadEntryAsync(string name, int max, CancellationToken ct)
    {
        await using var stream = await OpenEntryAsync(name, ct).ConfigureAwait(false);
        return stream is null ? null : await ManifestWalker.ReadBoundedAsync(stream, max, $"{Name}: {name}", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens one file of the archive: a fresh read of the tar headers (seeking over the data) to the entry, whose data
    /// is then streamed from the file. Null when the archive has no such file.
    /// </summary>
    private async Task<Stream?> OpenEntryAsync(string name, CancellationToken ct)
    {
        string wanted = Normalize(name);
        var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        try
        {
            var reader = new TarReader(fs, leaveOpen: true);
            int count = 0;
            while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
            {
                if (++count > MaxEntries) throw new ImageSourceException(ImageSourceError.Invalid, $"{Name}: more than {MaxEntries} files in the archive");
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && Normalize(entry.Name) == wanted && entry.DataStream is { } data)
                    return new EntryStream(data, fs, reader);
            }
            await reader.DisposeAsync().ConfigureAwait(false);
            await fs.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        catch
        {
            await fs.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string Normalize(string name) => name.Replace('\\', '/').TrimStart('.', '/');

    /// <summary>An entry's data that closes the archive file when disposed.</summary>
    private sealed class EntryStream(Stream data, FileStream file, TarReader reader) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => data.Position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => data.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => data.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => data.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                reader.Dispose();
                file.Dispose();
            }
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            await file.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
