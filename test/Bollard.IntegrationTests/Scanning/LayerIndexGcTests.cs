using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.Core.Scanning;
using Bollard.IntegrationTests.Gc;
using Bollard.Scanning;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Scanning;

/// <summary>
/// A layer's cached index goes when garbage collection deletes the layer: two scanned images sharing a base layer, one
/// deleted, a real GC run; the deleted image's own layer loses its index row, the kept image's layers (the shared base
/// among them) keep theirs. The layers are made here with System.Formats.Tar: umoci 0.4.7's <c>insert</c> layers end
/// without their end-of-archive blocks, which the scanner reads but, being incomplete, never caches.
/// </summary>
public sealed class LayerIndexGcTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Gc_DeletingALayer_PrunesItsLayerIndex()
    {
        var settings = GcApi.Settings();
        settings["Scanning:Enabled"] = "true";
        await using var server = await BollardServer.StartAsync(settings, output: output);
        // A base layer both images share (the real bookworm minbase dpkg status) and one layer of each image's own.
        byte[] status = await File.ReadAllBytesAsync(Path.Combine(ScanImages.VulnData, "debian", "bookworm-minbase-status"));
        var baseLayer = Layer(("etc/os-release", Encoding.UTF8.GetBytes(ScanImages.BookwormOsRelease)), ("var/lib/dpkg/status", status));
        string kept = await PushAsync(server.Client, "gc/kept", baseLayer, Layer(("etc/kept", "kept\n"u8.ToArray())));
        string gone = await PushAsync(server.Client, "gc/gone", baseLayer, Layer(("etc/gone", "gone\n"u8.ToArray())));
        foreach (var (repo, digest) in new[] { ("gc/kept", kept), ("gc/gone", gone) })
        {
            var state = await ScanImages.WaitForStateAsync(server.Client, repo, digest, s => s is "done" or "failed");
            Assert.True(state["state"]!.GetValue<string>() == "done" && state["packages"]!.GetValue<int>() > 50, state.ToJsonString());
        }
        var keptLayers = await LayersAsync(server, "gc/kept", kept);
        var goneLayers = (await LayersAsync(server, "gc/gone", gone)).Except(keptLayers).ToList();
        Assert.Single(goneLayers);
        var indexes = server.Services.GetRequiredService<ILayerIndexStore>();
        foreach (string layer in keptLayers.Concat(goneLayers))
            Assert.True(await indexes.GetAsync(layer, ScanEngine.Version, default) is not null, $"{layer} was indexed by the scan");

        using (var deleted = await server.Client.DeleteAsync($"/v2/gc/gone/manifests/{gone}"))
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        var removed = GcApi.Removed(await GcApi.RunAsync(server.Client));

        Assert.Contains($"blob - {goneLayers[0]}", removed);
        Assert.False(await GcApi.BlobStoredAsync(server, goneLayers[0]));
        Assert.Null(await indexes.GetAsync(goneLayers[0], ScanEngine.Version, default));
        foreach (string layer in keptLayers) // the shared base layer among them
            Assert.True(await indexes.GetAsync(layer, ScanEngine.Version, default) is not null, $"{layer} of the kept image keeps its index");
    }

    /// <summary>A gzip'd tar layer (System.Formats.Tar: complete, with its end-of-archive blocks), deterministic for the same files.</summary>
    private static (byte[] Gzip, string DiffId) Layer(params (string Path, byte[] Content)[] files)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (path, content) in files)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path)
                {
                    DataStream = new MemoryStream(content), ModificationTime = DateTimeOffset.UnixEpoch, Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                });
        using var gz = new MemoryStream();
        using (var zip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true)) zip.Write(tar.ToArray());
        return (gz.ToArray(), RegistryTestClient.Sha256(tar.ToArray()));
    }

    /// <summary>Pushes the layers, a config naming their diff ids, and the manifest (tag 1) as a client does; returns the manifest digest.</summary>
    private static async Task<string> PushAsync(HttpClient client, string repo, params (byte[] Gzip, string DiffId)[] layers)
    {
        var config = new JsonObject
        {
            ["architecture"] = "amd64", ["os"] = "linux", ["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(layers.Select(l => (JsonNode)l.DiffId).ToArray()) },
        };
        byte[] configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());
        var descriptors = new JsonArray();
        foreach (var (gzip, _) in layers)
            descriptors.Add(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip", ["digest"] = await client.PushBlobAsync(repo, gzip), ["size"] = gzip.Length });
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = await client.PushBlobAsync(repo, configBytes), ["size"] = configBytes.Length },
            ["layers"] = descriptors,
        };
        byte[] body = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        using var response = await client.PutManifestAsync(repo, "1", body, "application/vnd.oci.image.manifest.v1+json");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return RegistryTestClient.Sha256(body);
    }

    private static async Task<List<string>> LayersAsync(BollardServer server, string repo, string digest)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repo}/manifests/{digest}");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using var response = await server.Client.SendAsync(request);
        var manifest = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return manifest["layers"]!.AsArray().Select(l => l!["digest"]!.GetValue<string>()).ToList();
    }
}
