using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.CrashSafety;

/// <summary>
/// One pusher: images of random blobs (monolithic POST, chunked POST/PATCH/PUT, cross-repository mounts), their
/// manifests under unique tags, a moving tag and now and then an index, until the server dies under it.
/// Every 2xx goes into the <see cref="PushLedger"/>; any other answer from a live server is an error.
/// </summary>
internal sealed class CrashPusher(int worker, int round, HttpClient client, PushLedger ledger, Random rng)
{
    public static readonly string[] Repositories = ["crash/alpha", "crash/beta", "crash/gamma/nested"];
    private const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    private const string OciIndex = "application/vnd.oci.image.index.v1+json";

    private int _seq;
    private readonly List<PushLedger.Manifest> _mine = [];

    /// <summary>Pushes until the connection fails (the kill) or <paramref name="stop"/> fires.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested) await PushImageAsync(stop);
        }
        catch (Exception e) when (IsCut(e, stop))
        {
            // The server was killed under this request: it is unacknowledged, whatever it did.
        }
        catch (Exception e)
        {
            ledger.Error($"worker {worker} round {round}: unexpected {e}");
        }
    }

    private static bool IsCut(Exception e, CancellationToken stop) =>
        e is HttpRequestException or IOException or SocketException or OperationCanceledException
        || (e.InnerException is { } inner && IsCut(inner, stop));

    private async Task PushImageAsync(CancellationToken ct)
    {
        string repo = Repositories[rng.Next(Repositories.Length)];
        byte[] config = Encoding.UTF8.GetBytes(
            $$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"w":{{worker}},"r":{{round}},"n":"{{Guid.NewGuid()}}"}""");
        if (await PushBlobAsync(repo, config, ct) is not { } configDigest) return;

        var layers = new JsonArray();
        int count = rng.Next(1, 4);
        for (int i = 0; i < count; i++)
        {
            (string Digest, long Size)? layer = rng.Next(8) == 0 ? await MountAsync(repo, ct) : null;
            if (layer is null)
            {
                // Mostly small layers; one in eight is 1-3 MB so that kills land inside big bodies too.
                int size = rng.Next(8) == 0 ? rng.Next(1 << 20, 3 << 20) : rng.Next(1, 160 * 1024);
                byte[] data = new byte[size];
                rng.NextBytes(data);
                if (await PushBlobAsync(repo, data, ct) is not { } d) return;
                layer = (d, size);
            }
            layers.Add(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip", ["digest"] = layer.Value.Digest, ["size"] = layer.Value.Size });
        }
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = layers,
        };
        byte[] body = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        string tag = $"w{worker}-r{round}-{_seq++}";
        if (!await PutManifestAsync(repo, tag, body, OciManifest, ct)) return;
        var pushed = new PushLedger.Manifest(repo, RegistryTestClient.Sha256(body), body, OciManifest);
        ledger.Tags[(repo, tag)] = pushed.Digest;
        _mine.Add(pushed);

        // The moving tag lives in one repository per worker.
        var moving = ledger.Moving[worker] ??= new PushLedger.MovingTag(Repositories[worker % Repositories.Length], $"w{worker}-latest");
        if (repo == moving.Repo && rng.Next(2) == 0)
        {
            moving.InFlight = pushed.Digest;
            if (await PutManifestAsync(repo, moving.Tag, body, OciManifest, ct, record: false))
            {
                moving.Acked = pushed.Digest;
                moving.InFlight = null;
            }
        }

        if (rng.Next(5) == 0 && _mine.Where(m => m.Repo == repo && m.MediaType == OciManifest).TakeLast(2).ToList() is { Count: 2 } children)
        {
            var index = new JsonObject
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = OciIndex,
                ["manifests"] = new JsonArray(children.Select((c, i) => (JsonNode)new JsonObject
                {
                    ["mediaType"] = c.MediaType,
                    ["digest"] = c.Digest,
                    ["size"] = c.Content.Length,
                    ["platform"] = new JsonObject { ["architecture"] = i == 0 ? "amd64" : "arm64", ["os"] = "linux" },
                }).ToArray()),
            };
            byte[] indexBody = Encoding.UTF8.GetBytes(index.ToJsonString());
            string indexDigest = RegistryTestClient.Sha256(indexBody);
            // By digest half of the time (no tag at all), else under a unique tag.
            string reference = rng.Next(2) == 0 ? indexDigest : $"w{worker}-r{round}-{_seq++}-index";
            if (await PutManifestAsync(repo, reference, indexBody, OciIndex, ct) && reference != indexDigest)
                ledger.Tags[(repo, reference)] = indexDigest;
        }
    }

    private async Task<bool> PutManifestAsync(string repo, string reference, byte[] body, string mediaType, CancellationToken ct, bool record = true)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await client.PutAsync($"/v2/{repo}/manifests/{reference}", content, ct);
        string digest = RegistryTestClient.Sha256(body);
        if (response.StatusCode != HttpStatusCode.Created)
            return Unexpected($"PUT manifest {repo}:{reference}", response, await response.Content.ReadAsStringAsync(ct));
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.Single() != digest)
            return Unexpected($"PUT manifest {repo}:{reference} answered digest {values.Single()}, expected {digest}", response, "");
        Interlocked.Increment(ref ledger.ManifestPushes);
        if (record) ledger.Manifests[(repo, digest)] = new PushLedger.Manifest(repo, digest, body, mediaType);
        return true;
    }

    private async Task<string?> PushBlobAsync(string repo, byte[] data, CancellationToken ct)
    {
        bool ok = rng.Next(2) == 0 ? await MonolithicAsync(repo, data, ct) : await ChunkedAsync(repo, data, ct);
        if (!ok) return null;
        string digest = RegistryTestClient.Sha256(data);
        ledger.Blobs[(repo, digest)] = data.Length;
        Interlocked.Increment(ref ledger.BlobPushes);
        return digest;
    }

    private async Task<bool> MonolithicAsync(string repo, byte[] data, CancellationToken ct)
    {
        string digest = RegistryTestClient.Sha256(data);
        using var content = new ByteArrayContent(data);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await client.PostAsync($"/v2/{repo}/blobs/uploads/?digest={digest}", content, ct);
        if (response.StatusCode != HttpStatusCode.Created)
            return Unexpected($"monolithic POST {repo} {digest}", response, await response.Content.ReadAsStringAsync(ct));
        return true;
    }

    private async Task<bool> ChunkedAsync(string repo, byte[] data, CancellationToken ct)
    {
        string digest = RegistryTestClient.Sha256(data);
        string location;
        using (var start = await client.PostAsync($"/v2/{repo}/blobs/uploads/", null, ct))
        {
            if (start.StatusCode != HttpStatusCode.Accepted || start.Headers.Location is null)
                return Unexpected($"POST upload {repo}", start, await start.Content.ReadAsStringAsync(ct));
            location = start.Headers.Location.OriginalString;
        }
        ledger.Pending[worker] = new PushLedger.PendingUpload(repo, location, data, 0);

        int chunk = rng.Next(16 * 1024, 512 * 1024);
        bool finalInPut = rng.Next(2) == 0;
        long offset = 0;
        while (data.Length - offset > (finalInPut ? chunk : 0))
        {
            int length = (int)Math.Min(chunk, data.Length - offset);
            if (!await PatchAsync(client, location, data, offset, length, Unexpected, ct)) return false;
            offset += length;
            ledger.Pending[worker] = new PushLedger.PendingUpload(repo, location, data, offset);
        }
        ledger.Pending[worker] = new PushLedger.PendingUpload(repo, location, data, offset, Closing: true);
        if (!await PutUploadAsync(client, location, digest, data, offset, Unexpected, ct)) return false;
        ledger.Pending[worker] = null;
        return true;
    }

    /// <summary>PATCH one chunk with Content-Range; checks the Range the server answers.</summary>
    public static async Task<bool> PatchAsync(HttpClient client, string location, byte[] data, long offset, int length,
        Func<string, HttpResponseMessage, string, bool> unexpected, CancellationToken ct)
    {
        using var content = new ByteArrayContent(data, (int)offset, length);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Patch, location) { Content = content };
        request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
        using var response = await client.SendAsync(request, ct);
        if (response.StatusCode != HttpStatusCode.Accepted)
            return unexpected($"PATCH {location} {offset}+{length}", response, await response.Content.ReadAsStringAsync(ct));
        string range = response.Headers.TryGetValues("Range", out var r) ? r.Single() : "";
        if (range != $"0-{offset + length - 1}")
            return unexpected($"PATCH {location} {offset}+{length} answered Range '{range}'", response, "");
        return true;
    }

    /// <summary>The closing PUT ?digest=, carrying whatever is left of <paramref name="data"/> after <paramref name="offset"/>.</summary>
    public static async Task<bool> PutUploadAsync(HttpClient client, string location, string digest, byte[] data, long offset,
        Func<string, HttpResponseMessage, string, bool> unexpected, CancellationToken ct)
    {
        using var content = new ByteArrayContent(data, (int)offset, (int)(data.Length - offset));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await client.PutAsync($"{location}?digest={digest}", content, ct);
        if (response.StatusCode != HttpStatusCode.Created)
            return unexpected($"PUT {location}?digest={digest} (final {data.Length - offset} bytes)", response, await response.Content.ReadAsStringAsync(ct));
        return true;
    }

    private async Task<(string Digest, long Size)?> MountAsync(string repo, CancellationToken ct)
    {
        var candidates = ledger.Blobs.Where(b => b.Key.Repo != repo).Take(200).ToList();
        if (candidates.Count == 0) return null;
        var ((from, digest), size) = candidates[rng.Next(candidates.Count)];
        using var response = await client.PostAsync(
            $"/v2/{repo}/blobs/uploads/?mount={digest}&from={Uri.EscapeDataString(from)}", null, ct);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            // 202 would mean an acknowledged blob of `from` is not mountable: it is lost or unlinked.
            Unexpected($"mount {digest} from {from} into {repo}", response, await response.Content.ReadAsStringAsync(ct));
            return null;
        }
        ledger.Blobs[(repo, digest)] = size;
        Interlocked.Increment(ref ledger.Mounts);
        return (digest, size);
    }

    private bool Unexpected(string what, HttpResponseMessage response, string body)
    {
        ledger.Error(string.Create(CultureInfo.InvariantCulture, $"worker {worker} round {round}: {what}: {(int)response.StatusCode} {body}"));
        return false;
    }
}
