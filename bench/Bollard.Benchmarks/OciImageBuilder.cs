using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Bollard.Benchmarks;

/// <summary>
/// Writes an OCI image layout holding one image of <c>layers</c> gzip layers, each a tar with one file of
/// random (incompressible) bytes, plus a valid config (diff_ids) and manifest, tagged <c>tag</c>.
/// Deterministic for a seed; a new seed gives new digests, so skopeo cannot skip or mount a layer it saw before.
/// </summary>
internal static class OciImageBuilder
{
    private static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static string Build(string dir, string tag, int layers, long layerSize, int seed)
    {
        string blobs = Path.Combine(dir, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        var random = new Random(seed);
        var layerDescriptors = new JsonArray();
        var diffIds = new JsonArray();
        long total = 0;
        for (int i = 0; i < layers; i++)
        {
            byte[] data = new byte[layerSize];
            random.NextBytes(data);
            using var tar = new MemoryStream();
            using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, $"layer{i:D2}/data.bin")
                {
                    DataStream = new MemoryStream(data),
                    ModificationTime = Epoch,
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                };
                writer.WriteEntry(entry);
            }
            diffIds.Add(Sha256(tar.GetBuffer().AsSpan(0, (int)tar.Length)));
            using var gz = new MemoryStream();
            using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) tar.WriteTo(gzip);
            var bytes = gz.ToArray();
            layerDescriptors.Add(Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", WriteBlob(blobs, bytes), bytes.Length));
            total += bytes.Length;
        }
        var config = new JsonObject
        {
            ["created"] = "2025-01-01T00:00:00Z",
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/true") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = diffIds },
        };
        byte[] configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = Descriptor("application/vnd.oci.image.config.v1+json", WriteBlob(blobs, configBytes), configBytes.Length),
            ["layers"] = layerDescriptors,
        };
        byte[] manifestBytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        var manifestDescriptor = Descriptor("application/vnd.oci.image.manifest.v1+json", WriteBlob(blobs, manifestBytes), manifestBytes.Length);
        manifestDescriptor["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = tag };
        var index = new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(manifestDescriptor) };
        File.WriteAllText(Path.Combine(dir, "index.json"), index.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        return $"layers={layers} bytes={total + configBytes.Length + manifestBytes.Length} manifest_bytes={manifestBytes.Length} manifest={manifestDescriptor["digest"]}";
    }

    private static JsonObject Descriptor(string mediaType, string digest, long size) =>
        new() { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = size };

    private static string WriteBlob(string blobs, byte[] bytes)
    {
        string digest = Sha256(bytes);
        File.WriteAllBytes(Path.Combine(blobs, digest["sha256:".Length..]), bytes);
        return digest;
    }

    private static string Sha256(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
}
