using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Bollard.IntegrationTests.Support;

/// <summary>A shared server for one test class (xunit class fixture); tests use their own repository names.</summary>
public sealed class SharedServerFixture : IAsyncLifetime
{
    public BollardServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await BollardServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>What a raw-socket request got back (status 0 when the server closed without answering).</summary>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? ErrorCode => Regex.Match(Body, "\"code\"\\s*:\\s*\"([A-Z_]+)\"") is { Success: true } m ? m.Groups[1].Value : null;
}

/// <summary>Helpers for requests .NET would normally refuse to send or would normalize, and for looking at the store on disk.</summary>
public static class AttackSupport
{
    public static string Sha512(byte[] data) => "sha512:" + Convert.ToHexStringLower(SHA512.HashData(data));

    public static string UniqueRepo(string prefix) => $"{prefix}/r{Guid.NewGuid().ToString("N")[..12]}";

    /// <summary>A request whose path and query are sent exactly as given (no dot-segment removal, no unescaping).</summary>
    public static Task<HttpResponseMessage> SendRawPathAsync(this BollardServer server, HttpMethod method, string pathAndQuery, HttpContent? content = null)
    {
        var uri = new Uri($"http://{server.HostPort}{pathAndQuery}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        var request = new HttpRequestMessage(method, uri) { Content = content };
        return server.Client.SendAsync(request);
    }

    /// <summary>
    /// Sends one HTTP/1.1 request over a raw socket: <paramref name="head"/> lines (request line and headers, no
    /// Host or Connection), then <paramref name="body"/>, then (with <paramref name="halfClose"/>) closes the sending
    /// side, and reads what comes back until the server closes. With <paramref name="reset"/> it resets the connection instead.
    /// </summary>
    public static async Task<RawResponse> RawRequestAsync(this BollardServer server, string requestLine, IEnumerable<string> headers, byte[]? body = null, bool halfClose = false, bool reset = false)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = new StringBuilder();
        head.Append(requestLine).Append("\r\n");
        head.Append("Host: ").Append(server.HostPort).Append("\r\n");
        head.Append("Connection: close\r\n");
        foreach (var h in headers) head.Append(h).Append("\r\n");
        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        if (body is { Length: > 0 }) await stream.WriteAsync(body);
        await stream.FlushAsync();
        if (reset)
        {
            // Drop the connection mid-body with a TCP RST, as a crashed or killed client would.
            await Task.Delay(100);
            tcp.Client.LingerState = new LingerOption(true, 0);
            tcp.Client.Close();
            return new RawResponse(0, new Dictionary<string, string>(), "");
        }
        if (halfClose) tcp.Client.Shutdown(SocketShutdown.Send);

        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0) received.Write(buffer, 0, read);
        }
        catch (IOException) { } // reset by the server after it answered
        catch (OperationCanceledException) { }
        return Parse(Encoding.Latin1.GetString(received.ToArray()));
    }

    private static RawResponse Parse(string text)
    {
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (!text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || end < 0)
            return new RawResponse(0, new Dictionary<string, string>(), text);
        var lines = text[..end].Split("\r\n");
        int status = int.Parse(lines[0].AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return new RawResponse(status, headers, text[(end + 4)..]);
    }

    // ---- looking at the store on disk ----

    public static string BlobFile(this BollardServer server, string digest)
    {
        var (alg, hex) = (digest[..digest.IndexOf(':')], digest[(digest.IndexOf(':') + 1)..]);
        return Path.Combine(server.DataDir, "blobs", alg, hex[..2], hex);
    }

    public static HashSet<string> BlobFiles(this BollardServer server)
    {
        string root = Path.Combine(server.DataDir, "blobs");
        return Directory.Exists(root) ? Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToHashSet() : [];
    }

    public static HashSet<string> UploadFiles(this BollardServer server)
    {
        string root = Path.Combine(server.DataDir, "uploads");
        return Directory.Exists(root) ? Directory.EnumerateFiles(root).Select(f => Path.GetFileName(f)).ToHashSet() : [];
    }

    /// <summary>Waits (briefly) for a condition that a request's cleanup makes true after the response was sent.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, int timeoutMs = 3000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(25);
        }
        return true;
    }

    /// <summary>Asserts the blob is neither on disk nor served by <paramref name="repo"/>.</summary>
    public static async Task AssertBlobAbsentAsync(this BollardServer server, string repo, string digest)
    {
        Assert.False(File.Exists(server.BlobFile(digest)), $"blob file for {digest} exists");
        using var get = await server.Client.GetAsync($"/v2/{repo}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("BLOB_UNKNOWN", await get.ErrorCodeAsync());
    }

    /// <summary>Asserts no upload temp file appeared beyond <paramref name="before"/> (waiting briefly for cleanup).</summary>
    public static async Task AssertNoNewUploadFilesAsync(this BollardServer server, HashSet<string> before)
    {
        bool clean = await EventuallyAsync(() => server.UploadFiles().IsSubsetOf(before));
        Assert.True(clean, "leftover upload temp files: " + string.Join(", ", server.UploadFiles().Except(before)));
    }

    public static async Task AssertErrorAsync(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status} {code}, got {(int)response.StatusCode}: {body}");
        if (response.RequestMessage?.Method == HttpMethod.Head) return;
        using var doc = JsonDocument.Parse(body);
        Assert.Equal(code, doc.RootElement.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    // ---- upload helpers ----

    /// <summary>POST to open an upload; asserts 202 and returns the Location path.</summary>
    public static async Task<string> StartUploadAsync(this HttpClient client, string repo)
    {
        using var response = await client.PostAsync($"/v2/{repo}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return response.Headers.Location!.OriginalString;
    }

    public static async Task<HttpResponseMessage> PatchAsync(this HttpClient client, string location, byte[] chunk, long? rangeStart = null, long? rangeEnd = null)
    {
        var content = new ByteArrayContent(chunk);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Patch, location) { Content = content };
        if (rangeStart is { } s) request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{s}-{rangeEnd ?? s + chunk.Length - 1}");
        return await client.SendAsync(request);
    }

    public static async Task<HttpResponseMessage> CloseUploadAsync(this HttpClient client, string location, string digest, byte[]? finalChunk = null)
    {
        string sep = location.Contains('?') ? "&" : "?";
        var content = new ByteArrayContent(finalChunk ?? []);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await client.PutAsync($"{location}{sep}digest={digest}", content);
    }

    /// <summary>The <c>Range</c> header of an upload response (<c>0-&lt;last byte&gt;</c>).</summary>
    public static string? UploadRange(this HttpResponseMessage response) =>
        response.Headers.NonValidated.TryGetValues("Range", out var v) ? v.ToString() : null;

    public static async Task<string?> UploadRangeAsync(this HttpClient client, string location)
    {
        using var response = await client.GetAsync(location);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        return response.UploadRange();
    }

    public static async Task<List<string>> TagsAsync(this HttpClient client, string repo)
    {
        using var response = await client.GetAsync($"/v2/{repo}/tags/list");
        if (response.StatusCode == HttpStatusCode.NotFound) return [];
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var tags = doc.RootElement.GetProperty("tags");
        return tags.ValueKind == JsonValueKind.Null ? [] : tags.EnumerateArray().Select(t => t.GetString()!).ToList();
    }

    /// <summary>Pushes a small config blob and returns an OCI manifest body referencing it (no layers).</summary>
    public static async Task<byte[]> MinimalManifestAsync(this HttpClient client, string repo, string? extra = null)
    {
        var config = Encoding.UTF8.GetBytes("{\"n\":\"" + Guid.NewGuid() + "\"}");
        string digest = await client.PushBlobAsync(repo, config);
        return Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{digest}}","size":{{config.Length}}},"layers":[]{{extra}}}""");
    }
}
