using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Bollard.Core.Net;

namespace Bollard.Core.Webhooks;

/// <summary>
/// Sends webhook requests through one dedicated <see cref="SocketsHttpHandler"/>: no proxy (a proxy would connect on our
/// behalf, past the address check), no redirects (a 3xx is a failure naming where it pointed), a connect callback that
/// resolves the host itself and connects only to an address <see cref="WebhookDestinationPolicy.CheckAddress"/> allows
/// (so a name re-pointed after the URL was checked, DNS rebinding, is still refused), a timeout per request, and at
/// most <see cref="MaxResponseBytes"/> of the answer read (for the log). Thread-safe.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    public const string Refused = "refused";

    /// <summary>How much of a response body is read (and up to 200 characters of it logged on failure).</summary>
    public const int MaxResponseBytes = 4096;

    private readonly HttpClient _client;
    private readonly WebhookDestinationPolicy _policy;
    private readonly WebhookOptions _options;
    private readonly TimeProvider _time;

    public WebhookSender(WebhookDestinationPolicy policy, WebhookOptions options, TimeProvider time)
    {
        (_policy, _options, _time) = (policy, options, time);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = options.RequestTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            MaxResponseHeadersLength = 64, // KiB
            ConnectCallback = ConnectAsync,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = MaxResponseBytes };
    }

    public async Task<WebhookSendResult> SendAsync(WebhookRecord webhook, WebhookDelivery delivery, int attempt, CancellationToken ct)
    {
        long timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new ByteArrayContent(delivery.Body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(delivery.ContentType);
        var h = request.Headers;
        h.UserAgent.ParseAdd("Bollard-Webhook/1");
        h.TryAddWithoutValidation(WebhookSignature.IdHeader, delivery.EventId);
        h.TryAddWithoutValidation(WebhookSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        h.TryAddWithoutValidation(WebhookSignature.SignatureHeader, WebhookSignature.Sign(webhook.Secret, timestamp, delivery.Body));
        h.TryAddWithoutValidation(WebhookSignature.DeliveryHeader, delivery.Id.ToString(CultureInfo.InvariantCulture));
        h.TryAddWithoutValidation(WebhookSignature.AttemptHeader, attempt.ToString(CultureInfo.InvariantCulture));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.RequestTimeout);
        long started = Stopwatch.GetTimestamp();
        long Elapsed() => (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            int code = (int)response.StatusCode;
            string snippet = await ReadSnippetAsync(response, timeout.Token).ConfigureAwait(false);
            long latency = Elapsed();
            if (code is >= 200 and < 300) return new WebhookSendResult(Delivered, code, null, latency);
            if (code is >= 300 and < 400)
                return new WebhookSendResult(Failed, code, $"redirect ({code}) to '{Bound(response.Headers.Location?.ToString() ?? "(no Location)", 300)}' not followed: webhooks never follow redirects", latency);
            return new WebhookSendResult(Failed, code, $"the receiver answered {code} {response.ReasonPhrase}" + (snippet.Length > 0 ? $": {snippet}" : ""), latency);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new WebhookSendResult(Failed, null, $"no answer within {_options.RequestTimeout.TotalSeconds:0.###} s (Webhooks:RequestTimeout)", Elapsed());
        }
        catch (HttpRequestException e) when (Refusal(e) is { } refused)
        {
            return new WebhookSendResult(Refused, null, $"destination refused: {refused.Message}", Elapsed());
        }
        catch (HttpRequestException e)
        {
            return new WebhookSendResult(Failed, null, Bound(e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message, 500), Elapsed());
        }
    }

    private static WebhookDestinationRefusedException? Refusal(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is WebhookDestinationRefusedException r) return r;
        return null;
    }

    private static async Task<string> ReadSnippetAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            byte[] buffer = new byte[MaxResponseBytes];
            int total = 0, read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false)) > 0) total += read;
            string text = System.Text.Encoding.UTF8.GetString(buffer, 0, total);
            return Bound(new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Trim(), 200);
        }
    }

    private static string Bound(string text, int max) => text.Length <= max ? text : text[..max] + "...";

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        string host = context.DnsEndPoint.Host;
        var allowed = new List<IPAddress>();
        string? refusal = null;
        foreach (var address in await CheckedConnect.ResolveAsync(host, ct).ConfigureAwait(false))
        {
            if (_policy.CheckAddress(host, address, out var problem)) allowed.Add(address);
            else refusal ??= problem;
        }
        if (allowed.Count == 0) throw new WebhookDestinationRefusedException(refusal ?? $"'{host}' has no address");
        try
        {
            return await CheckedConnect.ConnectFirstAsync(allowed, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
        }
        catch (SocketException failure)
        {
            throw new HttpRequestException($"connecting to '{host}' failed: {failure.Message}", failure);
        }
    }

    public void Dispose() => _client.Dispose();
}
