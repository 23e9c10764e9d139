using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Bollard.IntegrationTests.Mirror.Support;

/// <summary>
/// An HTTP proxy on loopback in front of a real upstream (usually <see cref="UpstreamRegistry"/>) that the mirror is
/// pointed at instead: it counts every request (<see cref="Requests"/>, <see cref="Count"/>) and can misbehave on
/// demand: go down (<see cref="StopAsync"/>: connections refused, until <see cref="StartAsync"/> on the same port),
/// answer a status instead (<see cref="FailWith"/>: 503, 429 with <see cref="RetryAfter"/>), hang before answering
/// (<see cref="HangFor"/>), send bodies slowly (<see cref="BytesPerSecond"/>), or corrupt blob bodies
/// (<see cref="CorruptBlobs"/>: one byte flipped, length kept). The Host header is passed on, so the upstream's
/// Location and realm URLs name the proxy.
/// </summary>
public sealed class CountingProxy : IAsyncDisposable
{
    private readonly Uri _target;
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None, UseCookies = false })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };
    private readonly ConcurrentQueue<(string Method, string Path)> _requests = new();
    private readonly ConcurrentDictionary<long, string> _sending = new();
    private long _nextSend;
    private WebApplication? _app;

    private CountingProxy(Uri target) => _target = target;

    public int Port { get; private set; }
    public string HostPort => $"127.0.0.1:{Port}";
    public string Url => $"http://{HostPort}";

    /// <summary>Every request that reached the proxy, in order: method and path with query.</summary>
    public IReadOnlyList<(string Method, string Path)> Requests => _requests.ToArray();

    /// <summary>When set, every request is answered with this status (and <see cref="RetryAfter"/> for 429) instead of being forwarded.</summary>
    public HttpStatusCode? FailWith { get; set; }

    public int RetryAfter { get; set; } = 30;

    /// <summary>When set, each request waits this long before it is forwarded (a slow or hanging upstream).</summary>
    public TimeSpan? HangFor { get; set; }

    /// <summary>When set, response bodies are sent at about this rate.</summary>
    public long? BytesPerSecond { get; set; }

    /// <summary>Send every blob GET body with <c>Transfer-Encoding: chunked</c> and no <c>Content-Length</c>, as some registries and CDNs do.</summary>
    public bool ChunkedBlobs { get; set; }

    /// <summary>Flip one byte in the middle of every blob GET body (the length stays): bytes that do not match their digest.</summary>
    public bool CorruptBlobs { get; set; }

    /// <summary>Requests whose path contains <paramref name="pathPart"/> (and, when given, with that method).</summary>
    public int Count(string pathPart, string? method = null) =>
        _requests.Count(r => r.Path.Contains(pathPart, StringComparison.Ordinal) && (method is null || r.Method == method));

    /// <summary>Blob GETs (not HEADs) of one digest.</summary>
    public int BlobGets(string digest) => Count("/blobs/" + digest, "GET");

    /// <summary>Whether the body of a response to a request whose path contains <paramref name="pathPart"/> is being sent
    /// right now (headers out, last byte not yet): lets a test assert what a client saw before the upstream finished.</summary>
    public bool IsSending(string pathPart) => _sending.Values.Any(p => p.Contains(pathPart, StringComparison.Ordinal));

    public void Reset()
    {
        _requests.Clear();
        FailWith = null;
        HangFor = null;
        BytesPerSecond = null;
        CorruptBlobs = false;
    }

    public static async Task<CountingProxy> StartNewAsync(string targetUrl)
    {
        var proxy = new CountingProxy(new Uri(targetUrl));
        await proxy.StartAsync();
        return proxy;
    }

    /// <summary>Listens: on a new port the first time, on the same port after <see cref="StopAsync"/>.</summary>
    public async Task StartAsync()
    {
        if (_app is not null) return;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, Port);
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        app.Run(ForwardAsync);
        await app.StartAsync();
        if (Port == 0)
        {
            var address = app.Urls.First();
            Port = new Uri(address).Port;
        }
        _app = app;
    }

    /// <summary>Stops listening: the port refuses connections (the upstream is "down").</summary>
    public async Task StopAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        string pathAndQuery = request.Path + request.QueryString;
        _requests.Enqueue((request.Method, pathAndQuery));
        var ct = context.RequestAborted;
        if (HangFor is { } hang) await Task.Delay(hang, ct);
        if (FailWith is { } status)
        {
            context.Response.StatusCode = (int)status;
            if (status == HttpStatusCode.TooManyRequests) context.Response.Headers.RetryAfter = RetryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"errors":[{"code":"UNAVAILABLE","message":"the counting proxy says so"}]}""", ct);
            return;
        }

        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(_target, pathAndQuery));
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
            forward.Content = new StreamContent(request.Body);
        foreach (var (name, values) in request.Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase)) continue;
            if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
                forward.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        forward.Headers.Host = request.Host.Value;

        using var response = await _http.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, ct);
        context.Response.StatusCode = (int)response.StatusCode;
        bool chunked = ChunkedBlobs && request.Method == "GET" && request.Path.Value!.Contains("/blobs/sha256:", StringComparison.Ordinal);
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) continue;
            if (chunked && name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) continue; // Kestrel then chunks the body
            context.Response.Headers[name] = values.ToArray();
        }
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        bool corrupt = CorruptBlobs && request.Method == "GET" && request.Path.Value!.Contains("/blobs/sha256:", StringComparison.Ordinal) && response.IsSuccessStatusCode;
        long sending = Interlocked.Increment(ref _nextSend);
        _sending[sending] = pathAndQuery;
        try
        {
            await CopyBodyAsync(context, response, corrupt, ct);
        }
        finally
        {
            _sending.TryRemove(sending, out _);
        }
    }

    private async Task CopyBodyAsync(HttpContext context, HttpResponseMessage response, bool corrupt, CancellationToken ct)
    {
        long length = response.Content.Headers.ContentLength ?? -1;
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[64 * 1024];
        long sent = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        int n;
        while ((n = await body.ReadAsync(buffer, ct)) > 0)
        {
            if (corrupt)
            {
                long middle = length > 0 ? length / 2 : 0;
                if (middle >= sent && middle < sent + n) buffer[(int)(middle - sent)] ^= 0xFF;
            }
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, n), ct);
            sent += n;
            if (BytesPerSecond is { } rate && rate > 0)
            {
                var due = TimeSpan.FromSeconds((double)sent / rate);
                if (due > started.Elapsed) await Task.Delay(due - started.Elapsed, ct);
                await context.Response.Body.FlushAsync(ct);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _http.Dispose();
    }
}
