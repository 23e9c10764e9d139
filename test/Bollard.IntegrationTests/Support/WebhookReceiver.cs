using System.Net;
using Bollard.Core.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Bollard.IntegrationTests.Support;

/// <summary>
/// A webhook receiver on loopback (Kestrel at 127.0.0.1): keeps every request it answered 2xx with (headers, exact body,
/// whether the HMAC signature checked out against <see cref="Secret"/>), answers <see cref="Status"/> (and
/// <see cref="Location"/> for a redirect), and can go down (<see cref="StopAsync"/>: connections refused) and come back
/// on the same port (<see cref="StartAsync"/>).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly List<Received> _received = [];
    private readonly List<Received> _refused = [];
    private WebApplication? _app;

    public sealed record Received(string EventId, string Timestamp, string Signature, string ContentType, byte[] Body, bool SignatureValid, string Delivery, string Attempt)
    {
        public string Text => System.Text.Encoding.UTF8.GetString(Body);
    }

    public int Port { get; private set; }
    public Uri Url => new($"http://127.0.0.1:{Port}/hook");

    /// <summary>The webhook's secret, once known; requests before that count as not valid.</summary>
    public string? Secret { get; set; }

    public int Status { get; set; } = 200;
    public string? Location { get; set; }

    /// <summary>Requests answered 2xx, in arrival order.</summary>
    public IReadOnlyList<Received> Accepted
    {
        get { lock (_received) return _received.ToList(); }
    }

    /// <summary>Requests answered otherwise.</summary>
    public IReadOnlyList<Received> Rejected
    {
        get { lock (_received) return _refused.ToList(); }
    }

    public static async Task<WebhookReceiver> StartNewAsync()
    {
        var receiver = new WebhookReceiver();
        await receiver.StartAsync();
        return receiver;
    }

    /// <summary>Starts listening: on a new port the first time, on the same port after <see cref="StopAsync"/>.</summary>
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, Port));
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        Port = new Uri(app.Urls.First()).Port;
        _app = app;
    }

    public async Task StopAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    private async Task HandleAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        byte[] body = buffer.ToArray();
        string Header(string name) => http.Request.Headers[name].ToString();
        string timestamp = Header(WebhookSignature.TimestampHeader), signature = Header(WebhookSignature.SignatureHeader);
        bool valid = Secret is { } secret && WebhookSignature.Verify(secret, timestamp, body, signature, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        var received = new Received(Header(WebhookSignature.IdHeader), timestamp, signature, http.Request.ContentType ?? "", body, valid,
            Header(WebhookSignature.DeliveryHeader), Header(WebhookSignature.AttemptHeader));
        int status = Status;
        lock (_received) (status is >= 200 and < 300 ? _received : _refused).Add(received);
        http.Response.StatusCode = status;
        if (Location is { } location) http.Response.Headers.Location = location;
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
