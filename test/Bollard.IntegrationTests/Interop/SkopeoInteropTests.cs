using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Interop;

/// <summary>
/// Real skopeo (containers/image) against the real server: images built offline with umoci are pushed, pulled
/// back, inspected, copied between repositories and deleted, and every byte is compared with the source.
/// </summary>
public sealed class SkopeoInteropTests : IAsyncLifetime
{
    private readonly string _work = TempDir.Create("bollard-interop-");

    public Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        ExternalTool.Require("umoci");
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        TempDir.Delete(_work);
        return Task.CompletedTask;
    }

    // --insecure-policy: the test must not depend on the machine's /etc/containers/policy.json.
    private Task<ToolResult> Skopeo(params string[] args) => ExternalTool.RunCheckedAsync("skopeo", ["--insecure-policy", .. args], environment: SkopeoEnvironment);

    /// <summary>
    /// skopeo's blob-info cache (where it remembers which repository holds a blob, the source of its mount attempts)
    /// goes under XDG_DATA_HOME for a non-root user: one per test keeps the tests independent. Root always uses
    /// /var/lib/containers/cache, which is harmless: every test server has its own port, hence its own cache scope.
    /// </summary>
    private Dictionary<string, string> SkopeoEnvironment => new() { ["XDG_DATA_HOME"] = Path.Combine(_work, "xdg-data") };

    private async Task<OciLayout> BuildThreeLayerImageAsync(string name, string tag, string arch = "amd64")
    {
        var layout = await OciLayout.InitAsync(Path.Combine(_work, name));
        await layout.NewImageAsync(tag, arch,
            ("/data/random-big.bin", 2 * 1024 * 1024),
            ("/etc/hello.txt", 0),
            ("/data/random-small.bin", 700 * 1024));
        return layout;
    }

    private static void AssertSameBlobs(OciLayout source, OciLayout pulled, IEnumerable<string> digests)
    {
        foreach (string digest in digests)
        {
            byte[] expected = source.ReadBlob(digest);
            byte[] actual = pulled.ReadBlob(digest);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"blob {digest} differs after the round trip ({expected.Length} vs {actual.Length} bytes)");
            Assert.Equal(digest, RegistryTestClient.Sha256(actual));
        }
    }

    private static async Task<HttpResponseMessage> GetManifestAsync(BollardServer server, string repo, string reference, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repo}/manifests/{reference}");
        request.Headers.Accept.Clear();
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        return await server.Client.SendAsync(request);
    }

    [Fact]
    public async Task OciImage_PushPullInspectListTags_AllBlobsByteIdentical()
    {
        await using var server = await BollardServer.StartAsync();
        var source = await BuildThreeLayerImageAsync("src", "v1");
        var (manifestDigest, _, _) = source.Resolve("v1");
        var (config, layers) = OciLayout.ImageParts(source.ReadBlob(manifestDigest));
        Assert.True(layers.Count >= 3, $"umoci built {layers.Count} layers");
        string remote = $"docker://{server.HostPort}/interop/app";

        await Skopeo("copy", "--dest-tls-verify=false", $"oci:{source.Root}:v1", $"{remote}:v1");
        // A second tag of the same image: every blob already exists, so this exercises HEAD and the tag-only path.
        await Skopeo("copy", "--dest-tls-verify=false", $"oci:{source.Root}:v1", $"{remote}:latest");

        var pulled = new OciLayout(Path.Combine(_work, "out"));
        await Skopeo("copy", "--src-tls-verify=false", $"{remote}:v1", $"oci:{pulled.Root}:v1");
        Assert.Equal(manifestDigest, pulled.Resolve("v1").Digest);
        var closure = source.Closure(manifestDigest);
        Assert.Equal(new[] { manifestDigest, config }.Concat(layers).ToList(), closure);
        AssertSameBlobs(source, pulled, closure);

        // What the registry serves is the pushed bytes, by tag and by digest.
        foreach (string reference in new[] { "v1", "latest", manifestDigest })
        {
            using var response = await GetManifestAsync(server, "interop/app", reference, OciLayout.OciManifest);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(source.ReadBlob(manifestDigest), await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(manifestDigest, response.Headers.GetValues("Docker-Content-Digest").Single());
        }

        var inspect = JsonNode.Parse((await Skopeo("inspect", "--tls-verify=false", $"{remote}:v1")).Stdout)!;
        Assert.Equal(manifestDigest, inspect["Digest"]!.GetValue<string>());
        Assert.Equal(layers, inspect["Layers"]!.AsArray().Select(l => l!.GetValue<string>()).ToList());
        Assert.Equal("amd64", inspect["Architecture"]!.GetValue<string>());
        Assert.Equal("linux", inspect["Os"]!.GetValue<string>());
        Assert.Equal("v1", inspect["Labels"]!["bollard.test"]!.GetValue<string>()); // read from the config blob
        Assert.Equal(new[] { "latest", "v1" }, inspect["RepoTags"]!.AsArray().Select(t => t!.GetValue<string>()).Order(StringComparer.Ordinal).ToList());

        var raw = await Skopeo("inspect", "--raw", "--tls-verify=false", $"{remote}@{manifestDigest}");
        // (Output is collected line by line, so the comparison is modulo the final newline; the bytes were compared above.)
        Assert.Equal(System.Text.Encoding.UTF8.GetString(source.ReadBlob(manifestDigest)).TrimEnd('\n'), raw.Stdout.TrimEnd('\n'));

        var tags = JsonNode.Parse((await Skopeo("list-tags", "--tls-verify=false", remote)).Stdout)!;
        Assert.Equal(new[] { "latest", "v1" }, tags["Tags"]!.AsArray().Select(t => t!.GetValue<string>()).Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task MultiPlatformIndex_CopyAll_IndexAndChildrenByteIdentical()
    {
        await using var server = await BollardServer.StartAsync();
        var source = await OciLayout.InitAsync(Path.Combine(_work, "multi"));
        await source.NewImageAsync("amd", "amd64", ("/amd.bin", 300 * 1024), ("/amd.txt", 0));
        await source.NewImageAsync("arm", "arm64", ("/arm.bin", 400 * 1024), ("/arm.txt", 0));
        string indexDigest = source.AddIndex("multi", ("amd", "amd64"), ("arm", "arm64"));
        string amd = source.Resolve("amd").Digest, arm = source.Resolve("arm").Digest;
        string remote = $"docker://{server.HostPort}/interop/multi";

        await Skopeo("copy", "--all", "--dest-tls-verify=false", $"oci:{source.Root}:multi", $"{remote}:v1");

        var pulled = new OciLayout(Path.Combine(_work, "multi-out"));
        await Skopeo("copy", "--all", "--src-tls-verify=false", $"{remote}:v1", $"oci:{pulled.Root}:v1");
        var resolved = pulled.Resolve("v1");
        Assert.Equal(indexDigest, resolved.Digest);
        Assert.Equal(OciLayout.OciIndex, resolved.MediaType);
        var closure = source.Closure(indexDigest);
        Assert.Contains(amd, closure);
        Assert.Contains(arm, closure);
        AssertSameBlobs(source, pulled, closure);

        // The index is served as pushed, and each child by digest.
        using (var response = await GetManifestAsync(server, "interop/multi", "v1", OciLayout.OciIndex))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(OciLayout.OciIndex, response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(source.ReadBlob(indexDigest), await response.Content.ReadAsByteArrayAsync());
        }
        foreach (string child in new[] { amd, arm })
        {
            using var response = await GetManifestAsync(server, "interop/multi", child, OciLayout.OciManifest);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(source.ReadBlob(child), await response.Content.ReadAsByteArrayAsync());
        }

        // Platform selection by a real client: skopeo picks the arm64 child out of the index.
        // (skopeo inspect reports the digest of the top-level index, and the config and layers of the chosen child.)
        var inspect = JsonNode.Parse((await Skopeo("inspect", "--tls-verify=false", "--override-arch", "arm64", $"{remote}:v1")).Stdout)!;
        Assert.Equal(indexDigest, inspect["Digest"]!.GetValue<string>());
        Assert.Equal("arm64", inspect["Architecture"]!.GetValue<string>());
        Assert.Equal(OciLayout.ImageParts(source.ReadBlob(arm)).Layers, inspect["Layers"]!.AsArray().Select(l => l!.GetValue<string>()).ToList());
    }

    [Fact]
    public async Task DockerSchema2_PushedWithFormatV2s2_StoredAsDockerManifestAndPullsBack()
    {
        await using var server = await BollardServer.StartAsync();
        var source = await BuildThreeLayerImageAsync("docker-src", "v1");
        var (ociConfig, ociLayers) = OciLayout.ImageParts(source.ReadBlob(source.Resolve("v1").Digest));
        string remote = $"docker://{server.HostPort}/interop/docker";

        await Skopeo("copy", "--format", "v2s2", "--dest-tls-verify=false", $"oci:{source.Root}:v1", $"{remote}:v1");

        byte[] stored;
        string storedDigest;
        using (var response = await GetManifestAsync(server, "interop/docker", "v1", OciLayout.DockerManifest))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(OciLayout.DockerManifest, response.Content.Headers.ContentType?.MediaType);
            stored = await response.Content.ReadAsByteArrayAsync();
            storedDigest = response.Headers.GetValues("Docker-Content-Digest").Single();
        }
        Assert.Equal(storedDigest, RegistryTestClient.Sha256(stored));
        var node = JsonNode.Parse(stored)!;
        Assert.Equal(OciLayout.DockerManifest, node["mediaType"]!.GetValue<string>());
        Assert.Equal("application/vnd.docker.container.image.v1+json", node["config"]!["mediaType"]!.GetValue<string>());
        var (config, layers) = OciLayout.ImageParts(stored);
        // Only the manifest is rewritten by the conversion: config and (gzip) layers keep their digests.
        Assert.Equal(ociConfig, config);
        Assert.Equal(ociLayers, layers);

        // A client that only accepts OCI must not be handed a Docker manifest.
        using (var response = await GetManifestAsync(server, "interop/docker", "v1", OciLayout.OciManifest))
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);

        string dir = Path.Combine(_work, "docker-dir");
        await Skopeo("copy", "--src-tls-verify=false", $"{remote}:v1", $"dir:{dir}");
        byte[] pulledManifest = await File.ReadAllBytesAsync(Path.Combine(dir, "manifest.json"));
        Assert.Equal(stored, pulledManifest);
        foreach (string digest in layers.Prepend(config))
        {
            string hex = digest["sha256:".Length..];
            string path = File.Exists(Path.Combine(dir, hex)) ? Path.Combine(dir, hex) : Path.Combine(dir, digest.Replace(':', '-'));
            Assert.True(File.Exists(path), $"skopeo dir: output has no file for {digest}: {string.Join(", ", Directory.GetFiles(dir).Select(Path.GetFileName))}");
            byte[] bytes = await File.ReadAllBytesAsync(path);
            Assert.Equal(digest, RegistryTestClient.Sha256(bytes));
            Assert.Equal(source.ReadBlob(digest), bytes);
        }

        var inspect = JsonNode.Parse((await Skopeo("inspect", "--tls-verify=false", $"{remote}:v1")).Stdout)!;
        Assert.Equal(storedDigest, inspect["Digest"]!.GetValue<string>());
    }

    [Fact]
    public async Task CopyBetweenRepositories_MountsBlobs_ThenSkopeoDeleteRemovesOnlyTheCopy()
    {
        await using var server = await BollardServer.StartAsync();
        var source = await BuildThreeLayerImageAsync("mount-src", "v1");
        string manifestDigest = source.Resolve("v1").Digest;
        var (config, layers) = OciLayout.ImageParts(source.ReadBlob(manifestDigest));
        string from = $"docker://{server.HostPort}/interop/source";
        string to = $"docker://{server.HostPort}/interop/copy";

        await Skopeo("copy", "--dest-tls-verify=false", $"oci:{source.Root}:v1", $"{from}:v1");
        // skopeo's blob-info cache now knows the blobs are in interop/source on this registry, so the copy tries
        // POST ?mount=&from= first (containers/image logs "... mount OK" at debug level when the registry answers 201).
        var copy = await Skopeo("--debug", "copy", "--src-tls-verify=false", "--dest-tls-verify=false", $"{from}:v1", $"{to}:v2");
        Assert.True(copy.Stderr.Contains("mount OK", StringComparison.Ordinal),
            "expected skopeo to mount the layers across repositories (this needs a writable blob-info cache: " +
            "/var/lib/containers/cache for root, XDG_DATA_HOME otherwise)\n" + copy.Describe());

        foreach (string digest in layers.Prepend(config))
        {
            using var response = await server.Client.GetAsync($"/v2/interop/copy/blobs/{digest}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(source.ReadBlob(digest), await response.Content.ReadAsByteArrayAsync());
        }
        using (var response = await GetManifestAsync(server, "interop/copy", "v2", OciLayout.OciManifest))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(source.ReadBlob(manifestDigest), await response.Content.ReadAsByteArrayAsync());
        }

        // skopeo delete resolves the tag and deletes the manifest by digest.
        await Skopeo("delete", "--tls-verify=false", $"{to}:v2");
        foreach (string reference in new[] { "v2", manifestDigest })
        {
            using var response = await GetManifestAsync(server, "interop/copy", reference, OciLayout.OciManifest);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        var gone = await ExternalTool.RunAsync("skopeo", ["inspect", "--tls-verify=false", $"{to}:v2"], environment: SkopeoEnvironment);
        Assert.True(gone.ExitCode != 0, "skopeo still inspects the deleted image\n" + gone.Describe());
        var tags = JsonNode.Parse((await Skopeo("list-tags", "--tls-verify=false", to)).Stdout)!;
        Assert.Empty(tags["Tags"]!.AsArray());

        // The source repository is untouched: same manifest, same blobs, pullable by skopeo.
        var pulled = new OciLayout(Path.Combine(_work, "mount-out"));
        await Skopeo("copy", "--src-tls-verify=false", $"{from}:v1", $"oci:{pulled.Root}:v1");
        Assert.Equal(manifestDigest, pulled.Resolve("v1").Digest);
        AssertSameBlobs(source, pulled, source.Closure(manifestDigest));
    }
}
