using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Bollard.Benchmarks;

internal sealed class BenchException(string message) : Exception(message);

/// <summary>
/// A blob of <c>length</c> bytes made by repeating a 4 MiB random pattern chosen by <c>seed</c>: generated from
/// memory while it is sent, so the client spends no time on disk or on making data, and distinct seeds give
/// distinct digests (no registry can skip an upload it already has).
/// </summary>
internal sealed class PatternBlob
{
    private const int PatternSize = 4 * 1024 * 1024;

    public PatternBlob(long length, int seed)
    {
        Length = length;
        Pattern = new byte[PatternSize];
        new Random(seed).NextBytes(Pattern);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long pos = 0; pos < length;)
        {
            int n = (int)Math.Min(Pattern.Length, length - pos);
            hash.AppendData(Pattern, 0, n);
            pos += n;
        }
        Digest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public byte[] Pattern { get; }
    public long Length { get; }
    public string Digest { get; }

    public HttpContent Content(long offset, long length) => new PatternContent(Pattern, offset, length);

    private sealed class PatternContent : HttpContent
    {
        private const int WriteSize = 1024 * 1024;
        private readonly byte[] _pattern;
        private readonly long _offset;
        private readonly long _length;

        public PatternContent(byte[] pattern, long offset, long length)
        {
            _pattern = pattern;
            _offset = offset;
            _length = length;
            Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            long pos = _offset, end = _offset + _length;
            while (pos < end)
            {
                int at = (int)(pos % _pattern.Length);
                int n = (int)Math.Min(Math.Min(_pattern.Length - at, WriteSize), end - pos);
                await stream.WriteAsync(_pattern.AsMemory(at, n), cancellationToken).ConfigureAwait(false);
                pos += n;
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _length;
            return true;
        }
    }
}

/// <summary>The distribution-spec blob calls the benchmark times, each on one HTTP/1.1 connection.</summary>
internal static class BlobClient
{
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

    public static async Task<string> PushMonolithicAsync(Uri baseUri, string repo, long length, int seed, bool singlePost)
    {
        var blob = new PatternBlob(length, seed);
        using var http = NewClient(baseUri);
        await WarmConnectionAsync(http).ConfigureAwait(false);
        var watch = Stopwatch.StartNew();
        if (singlePost)
        {
            using var post = new HttpRequestMessage(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/?digest={blob.Digest}") { Content = blob.Content(0, length) };
            using var created = await http.SendAsync(post).ConfigureAwait(false);
            Expect(created, HttpStatusCode.Created, "POST ?digest=");
        }
        else
        {
            var location = await StartUploadAsync(http, repo).ConfigureAwait(false);
            using var put = new HttpRequestMessage(HttpMethod.Put, WithDigest(location, blob.Digest)) { Content = blob.Content(0, length) };
            using var created = await http.SendAsync(put).ConfigureAwait(false);
            Expect(created, HttpStatusCode.Created, "PUT ?digest=");
        }
        watch.Stop();
        return Line(length, watch.Elapsed, blob.Digest);
    }

    public static async Task<string> PushChunkedAsync(Uri baseUri, string repo, long length, long chunkSize, int seed)
    {
        var blob = new PatternBlob(length, seed);
        using var http = NewClient(baseUri);
        await WarmConnectionAsync(http).ConfigureAwait(false);
        var watch = Stopwatch.StartNew();
        var location = await StartUploadAsync(http, repo).ConfigureAwait(false);
        for (long offset = 0; offset < length; offset += chunkSize)
        {
            long n = Math.Min(chunkSize, length - offset);
            using var patch = new HttpRequestMessage(HttpMethod.Patch, location) { Content = blob.Content(offset, n) };
            // distribution-spec form "<start>-<end>" (inclusive); CNCF Distribution rejects "bytes ..." here.
            patch.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + n - 1}");
            using var accepted = await http.SendAsync(patch).ConfigureAwait(false);
            Expect(accepted, HttpStatusCode.Accepted, "PATCH");
            location = NextLocation(http, accepted);
        }
        using var put = new HttpRequestMessage(HttpMethod.Put, WithDigest(location, blob.Digest)) { Content = new ByteArrayContent([]) };
        using var created = await http.SendAsync(put).ConfigureAwait(false);
        Expect(created, HttpStatusCode.Created, "closing PUT");
        watch.Stop();
        return Line(length, watch.Elapsed, blob.Digest);
    }

    public static async Task<string> PullAsync(Uri baseUri, string repo, string digest)
    {
        using var http = NewClient(baseUri);
        await WarmConnectionAsync(http).ConfigureAwait(false);
        byte[] buffer = new byte[1024 * 1024];
        var watch = Stopwatch.StartNew();
        using var response = await http.GetAsync($"/v2/{repo}/blobs/{digest}", HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        Expect(response, HttpStatusCode.OK, "GET blob");
        long expected = response.Content.Headers.ContentLength ?? -1;
        long total = 0;
        await using (var body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false))
        {
            int read;
            while ((read = await body.ReadAsync(buffer).ConfigureAwait(false)) > 0) total += read;
        }
        watch.Stop();
        if (expected >= 0 && total != expected) throw new BenchException($"GET blob: read {total} bytes, Content-Length said {expected}");
        return Line(total, watch.Elapsed, digest);
    }

    /// <summary>Opens the connection (and checks the server is up) before the clock starts.</summary>
    private static async Task WarmConnectionAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/v2/").ConfigureAwait(false);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Unauthorized))
            throw new BenchException($"GET /v2/ answered {(int)response.StatusCode}");
    }

    private static async Task<Uri> StartUploadAsync(HttpClient http, string repo)
    {
        using var post = new HttpRequestMessage(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/") { Content = new ByteArrayContent([]) };
        using var accepted = await http.SendAsync(post).ConfigureAwait(false);
        Expect(accepted, HttpStatusCode.Accepted, "POST uploads");
        return NextLocation(http, accepted);
    }

    private static Uri NextLocation(HttpClient http, HttpResponseMessage response) =>
        response.Headers.Location is { } l
            ? l.IsAbsoluteUri ? l : new Uri(http.BaseAddress!, l)
            : throw new BenchException($"{response.RequestMessage?.Method} answered without a Location");

    private static Uri WithDigest(Uri location, string digest) =>
        new(location + (location.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest));

    private static void Expect(HttpResponseMessage response, HttpStatusCode status, string what)
    {
        if (response.StatusCode == status) return;
        string body = "";
        try { body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult(); } catch (HttpRequestException) { }
        throw new BenchException($"{what} answered {(int)response.StatusCode}, expected {(int)status}: {body}");
    }

    internal static string Line(long bytes, TimeSpan elapsed, string? digest = null) =>
        $"mbps={bytes / elapsed.TotalSeconds / 1e6:F1} seconds={elapsed.TotalSeconds:F3} bytes={bytes}" + (digest is null ? "" : $" digest={digest}");
}
