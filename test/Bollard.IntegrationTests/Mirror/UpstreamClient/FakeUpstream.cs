using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Bollard.IntegrationTests.Mirror.UpstreamClient;

/// <summary>
/// A scripted upstream on 127.0.0.1:0 (Kestrel): every request is recorded (method, path and query, host,
/// Authorization) and answered by <see cref="Handler"/>. For the attacks a real registry cannot stage: a realm that
/// points elsewhere, redirects, 429, stalls, endless bodies, wrong bytes.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    private readonly ConcurrentQueue<Seen> _seen = new();
    private WebApplication? _app;

    public sealed record Seen(string Method, string PathAndQuery, string Host, string? Authorization);

    public Func<HttpContext, Task> Handler { get; set; } = c =>
    {
        c.Response.StatusCode = 404;
        return Task.CompletedTask;
    };

    public int Port { get; private set; }

    public string Url => $"http://127.0.0.1:{Port}";

    public IReadOnlyList<Seen> Requests => [.. _seen];

    public IReadOnlyList<Seen> RequestsTo(string pathPrefix) => [.. _seen.Where(s => s.PathAndQuery.StartsWith(pathPrefix, StringComparison.Ordinal))];

    public static async Task<FakeUpstream> StartAsync()
    {
        var upstream = new FakeUpstream();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(async c =>
        {
            string? authorization = c.Request.Headers.Authorization.Count > 0 ? c.Request.Headers.Authorization.ToString() : null;
            upstream._seen.Enqueue(new Seen(c.Request.Method, c.Request.Path + c.Request.QueryString, c.Request.Host.Value ?? "", authorization));
            await upstream.Handler(c);
        });
        await app.StartAsync();
        upstream.Port = new Uri(app.Urls.First()).Port;
        upstream._app = app;
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
