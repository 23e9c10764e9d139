using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Bollard.MirrorBench;

/// <summary>What one timed pull measured: bytes, seconds to the end, seconds to the first body byte (Stopwatch timestamps too).</summary>
internal sealed record PullTiming(long Bytes, double Seconds, double FirstByteSeconds, long StartTimestamp, long EndTimestamp)
{
    public double MegabytesPerSecond => Bytes / Seconds / 1e6;
}

/// <summary>The distribution-spec calls the bench makes, over one HTTP/1.1 connection per client (as a pulling client does).</summary>
internal static class RegistryHttp
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";

    public static HttpClient NewClient(Uri baseUri) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        MaxConnectionsPerServer = 1,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        BaseAddress = baseUri,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Two-step upload (POST, then PUT ?digest= with the body): what both servers accept.</summary>
    public static async Task PushBlobAsync(HttpClient http, string repo, HttpContent content, string digest)
    {
        using var post = new HttpRequestMessage(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/") { Content = new ByteArrayContent([]) };
        using var accepted = await http.SendAsync(post).ConfigureAwait(false);
        await ExpectAsync(accepted, HttpStatusCode.Accepted, "POST uploads").ConfigureAwait(false);
        var location = accepted.Headers.Location ?? throw new BenchFailedException("POST uploads answered without a Location");
        if (!location.IsAbsoluteUri) location = new Uri(http.BaseAddress!, location);
        var put = new Uri(location + (location.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest));
        using var request = new HttpRequestMessage(HttpMethod.Put, put) { Content = content };
        using var created = await http.SendAsync(request).ConfigureAwait(false);
        await ExpectAsync(created, HttpStatusCode.Created, "PUT ?digest=").ConfigureAwait(false);
    }

    /// <summary>Pushes a config and <paramref name="layer"/>, and an OCI manifest of them tagged <paramref name="tag"/>; returns the manifest digest.</summary>
    public static async Task<string> PushImageAsync(HttpClient http, string repo, string tag, PatternBlob layer, bool layerPresent = false)
    {
        byte[] config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"bench":"{{tag}}-{{layer.Digest}}"}""");
        string configDigest = Sha256(config);
        await PushBlobAsync(http, repo, new ByteArrayContent(config), configDigest).ConfigureAwait(false);
        if (!layerPresent) await PushBlobAsync(http, repo, layer.Content(), layer.Digest).ConfigureAwait(false);
        byte[] manifest = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{OciManifest}}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{layer.Digest}}","size":{{layer.Length}}}]}""");
        using var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(OciManifest);
        using var put = await http.PutAsync($"/v2/{repo}/manifests/{tag}", content).ConfigureAwait(false);
        await ExpectAsync(put, HttpStatusCode.Created, "PUT manifest").ConfigureAwait(false);
        return Sha256(manifest);
    }

    /// <summary>GET of a manifest; returns its bytes (checked against <paramref name="expectedDigest"/> when given).</summary>
    public static async Task<byte[]> GetManifestAsync(HttpClient http, string repo, string reference, string? expectedDigest = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repo}/manifests/{reference}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciManifest));
        using var response = await http.SendAsync(request).ConfigureAwait(false);
        await ExpectAsync(response, HttpStatusCode.OK, $"GET manifest {repo}:{reference}").ConfigureAwait(false);
        byte[] body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        if (expectedDigest is not null && Sha256(body) != expectedDigest)
            throw new BenchFailedException($"manifest {repo}:{reference} is {Sha256(body)}, expected {expectedDigest}");
        return body;
    }

    /// <summary>
    /// A timed blob GET (the clock starts as the request is sent): bytes are read in 1 MiB buffers and discarded, or hashed
    /// and checked when <paramref name="verify"/> (then the hash is in the time: use it outside the timed comparisons).
    /// </summary>
    public static async Task<PullTiming> GetBlobAsync(HttpClient http, string repo, string digest, long expectedLength, bool verify = false)
    {
        byte[] buffer = new byte[1024 * 1024];
        using var hash = verify ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        long start = Stopwatch.GetTimestamp();
        using var response = await http.GetAsync($"/v2/{repo}/blobs/{digest}", HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        await ExpectAsync(response, HttpStatusCode.OK, $"GET blob {repo}@{digest}").ConfigureAwait(false);
        long total = 0, first = 0;
        await using (var body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false))
        {
            int read;
            while ((read = await body.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                if (total == 0) first = Stopwatch.GetTimestamp();
                total += read;
                hash?.AppendData(buffer, 0, read);
            }
        }
        long end = Stopwatch.GetTimestamp();
        if (total != expectedLength) throw new BenchFailedException($"GET blob {repo}@{digest}: read {total} bytes, expected {expectedLength}");
        if (hash is not null && "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset()) != digest)
            throw new BenchFailedException($"GET blob {repo}@{digest}: the bytes do not match the digest");
        return new PullTiming(total, Stopwatch.GetElapsedTime(start, end).TotalSeconds, Stopwatch.GetElapsedTime(start, first).TotalSeconds, start, end);
    }

    /// <summary>
    /// A timed pull of a one-layer image as a client does it: the manifest by tag, then its config and its layer. Returns
    /// the bytes of all three and the time of the whole.
    /// </summary>
    public static async Task<PullTiming> PullImageAsync(HttpClient http, string repo, string tag, PatternBlob layer)
    {
        long start = Stopwatch.GetTimestamp();
        byte[] manifest = await GetManifestAsync(http, repo, tag).ConfigureAwait(false);
        string text = Encoding.UTF8.GetString(manifest);
        int at = text.IndexOf("\"digest\":\"", StringComparison.Ordinal) + 10;
        string configDigest = text[at..text.IndexOf('"', at)];
        using var config = await http.GetAsync($"/v2/{repo}/blobs/{configDigest}").ConfigureAwait(false);
        await ExpectAsync(config, HttpStatusCode.OK, "GET config").ConfigureAwait(false);
        long configBytes = (await config.Content.ReadAsByteArrayAsync().ConfigureAwait(false)).Length;
        var blob = await GetBlobAsync(http, repo, layer.Digest, layer.Length).ConfigureAwait(false);
        long end = Stopwatch.GetTimestamp();
        return new PullTiming(manifest.Length + configBytes + blob.Bytes, Stopwatch.GetElapsedTime(start, end).TotalSeconds,
            Stopwatch.GetElapsedTime(start, blob.StartTimestamp).TotalSeconds + blob.FirstByteSeconds, start, end);
    }

    public static string Sha256(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    private static async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode status, string what)
    {
        if (response.StatusCode == status) return;
        string body = "";
        try { body = await response.Content.ReadAsStringAsync().ConfigureAwait(false); } catch (HttpRequestException) { }
        throw new BenchFailedException($"{what} answered {(int)response.StatusCode}, expected {(int)status}: {body}");
    }
}
