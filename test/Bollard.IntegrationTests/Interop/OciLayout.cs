using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Interop;

/// <summary>
/// An OCI image layout on disk (index.json + blobs/ALG/HEX): built with real umoci, read back after a skopeo pull.
/// </summary>
internal sealed class OciLayout(string root)
{
    private const string RefName = "org.opencontainers.image.ref.name";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerList = "application/vnd.docker.distribution.manifest.list.v2+json";

    public string Root { get; } = root;

    public static async Task<OciLayout> InitAsync(string root)
    {
        await ExternalTool.RunCheckedAsync("umoci", ["init", "--layout", root]);
        return new OciLayout(root);
    }

    /// <summary>
    /// <c>umoci new</c> then one <c>umoci insert</c> per file, so every file is its own layer. Each file gets
    /// <paramref name="randomBytes"/> of random data (0: a small text file).
    /// </summary>
    public async Task NewImageAsync(string tag, string architecture, params (string PathInImage, int RandomBytes)[] files)
    {
        string image = $"{Root}:{tag}";
        await ExternalTool.RunCheckedAsync("umoci", ["new", "--image", image]);
        await ExternalTool.RunCheckedAsync("umoci", ["config", "--image", image, "--os", "linux", "--architecture", architecture,
            "--config.label", $"bollard.test={tag}"]);
        string staging = Directory.CreateTempSubdirectory("bollard-umoci-").FullName;
        try
        {
            int n = 0;
            foreach (var (pathInImage, randomBytes) in files)
            {
                string source = Path.Combine(staging, $"f{n++}");
                await File.WriteAllBytesAsync(source, randomBytes > 0
                    ? RandomNumberGenerator.GetBytes(randomBytes)
                    : Encoding.UTF8.GetBytes($"{tag} {architecture} {Guid.NewGuid()}\n"));
                await ExternalTool.RunCheckedAsync("umoci", ["insert", "--rootless", "--image", image, source, pathInImage]);
            }
        }
        finally
        {
            TempDir.Delete(staging);
        }
    }

    public JsonObject ReadIndexJson() => JsonNode.Parse(File.ReadAllBytes(Path.Combine(Root, "index.json")))!.AsObject();

    /// <summary>The descriptor that index.json holds for <paramref name="tag"/>.</summary>
    public (string Digest, string MediaType, long Size) Resolve(string tag)
    {
        var index = ReadIndexJson();
        foreach (var m in index["manifests"]!.AsArray())
            if (m!["annotations"]?[RefName]?.GetValue<string>() == tag)
                return (m["digest"]!.GetValue<string>(), m["mediaType"]!.GetValue<string>(), m["size"]!.GetValue<long>());
        Assert.Fail($"tag {tag} is not in {Root}/index.json: {index.ToJsonString()}");
        return default;
    }

    public string BlobPath(string digest)
    {
        int colon = digest.IndexOf(':');
        return Path.Combine(Root, "blobs", digest[..colon], digest[(colon + 1)..]);
    }

    public byte[] ReadBlob(string digest)
    {
        string path = BlobPath(digest);
        Assert.True(File.Exists(path), $"blob {digest} is missing from layout {Root}");
        return File.ReadAllBytes(path);
    }

    /// <summary>The digest, the manifest and the blobs of an image or index, recursively; the root first.</summary>
    public List<string> Closure(string digest)
    {
        var result = new List<string>();
        Walk(digest, result);
        return result;
    }

    private void Walk(string digest, List<string> into)
    {
        if (into.Contains(digest)) return;
        into.Add(digest);
        var node = JsonNode.Parse(ReadBlob(digest))!;
        if (node["manifests"] is JsonArray children)
        {
            foreach (var child in children) Walk(child!["digest"]!.GetValue<string>(), into);
            return;
        }
        into.Add(node["config"]!["digest"]!.GetValue<string>());
        foreach (var layer in node["layers"]!.AsArray()) into.Add(layer!["digest"]!.GetValue<string>());
    }

    /// <summary>Config and layer digests of a single image manifest, in order.</summary>
    public static (string Config, List<string> Layers) ImageParts(byte[] manifest)
    {
        var node = JsonNode.Parse(manifest)!;
        return (node["config"]!["digest"]!.GetValue<string>(),
                node["layers"]!.AsArray().Select(l => l!["digest"]!.GetValue<string>()).ToList());
    }

    /// <summary>Writes an OCI image index blob by hand and names it <paramref name="tag"/> in index.json.</summary>
    public string AddIndex(string tag, params (string Tag, string Architecture)[] platforms)
    {
        var manifests = new JsonArray();
        foreach (var (childTag, arch) in platforms)
        {
            var (digest, mediaType, size) = Resolve(childTag);
            manifests.Add(new JsonObject
            {
                ["mediaType"] = mediaType,
                ["digest"] = digest,
                ["size"] = size,
                ["platform"] = new JsonObject { ["architecture"] = arch, ["os"] = "linux" },
            });
        }
        var index = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = OciIndex, ["manifests"] = manifests };
        byte[] bytes = Encoding.UTF8.GetBytes(index.ToJsonString());
        string indexDigest = RegistryTestClient.Sha256(bytes);
        File.WriteAllBytes(BlobPath(indexDigest), bytes);

        var layoutIndex = ReadIndexJson();
        layoutIndex["manifests"]!.AsArray().Add(new JsonObject
        {
            ["mediaType"] = OciIndex,
            ["digest"] = indexDigest,
            ["size"] = bytes.Length,
            ["annotations"] = new JsonObject { [RefName] = tag },
        });
        File.WriteAllText(Path.Combine(Root, "index.json"), layoutIndex.ToJsonString());
        return indexDigest;
    }
}
