using System.Net.Http.Headers;
using Bollard.Hosting;
using Bollard.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Support;

/// <summary>
/// The real Bollard host on Kestrel at 127.0.0.1:0 with a fresh temp data folder, as a user runs it.
/// Its log is kept (<see cref="RecentLog"/>) and, with an <see cref="ITestOutputHelper"/>, attached to the test's
/// output (shown when the test fails). Set BOLLARD_TEST_LOG=1 to see the server's log on the console too. A test
/// that waits on the server's clock passes its own <see cref="TimeProvider"/> instead of sleeping.
/// </summary>
public sealed class BollardServer : IAsyncDisposable
{
    private WebApplication? _app;

    private readonly ITestOutputHelper? _output;
    private readonly TimeProvider? _time;
    private TestLog? _log;
    private bool _waitForBackground = true;

    private readonly Action<IServiceCollection>? _services;

    private BollardServer(string dataDir, ITestOutputHelper? output, TimeProvider? time, Action<IServiceCollection>? services) =>
        (DataDir, _output, _time, _services) = (dataDir, output, time, services);

    /// <summary>The server's last log lines (Information and above), for an assertion message.</summary>
    public string RecentLog() => string.Join(Environment.NewLine, _log?.Lines ?? []);

    public string DataDir { get; }
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary><c>127.0.0.1:PORT</c>, for <c>docker://</c> references.</summary>
    public string HostPort => $"{BaseAddress.Host}:{BaseAddress.Port}";

    public HttpClient Client { get; private set; } = null!;
    public IServiceProvider Services => _app!.Services;

    public static async Task<BollardServer> StartAsync(IDictionary<string, string?>? settings = null, string? dataDir = null,
        ITestOutputHelper? output = null, TimeProvider? time = null, Action<IServiceCollection>? services = null,
        bool waitForBackgroundServices = true)
    {
        var server = new BollardServer(dataDir ?? TempDir.Create("bollard-it-"), output, time, services);
        server._waitForBackground = waitForBackgroundServices;
        try
        {
            await server.StartAppAsync(settings).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return server;
    }

    /// <summary>Stops the host and starts a new one on the same data folder (a clean restart).</summary>
    public async Task RestartAsync(IDictionary<string, string?>? settings = null)
    {
        await StopAppAsync().ConfigureAwait(false);
        await StartAppAsync(settings).ConfigureAwait(false);
    }

    private async Task StartAppAsync(IDictionary<string, string?>? settings)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Server:Listen"] = "127.0.0.1:0",
            ["Storage:DataDir"] = DataDir,
            // The distribution tests exercise the protocol; access control has its own tests that turn it on.
            ["Auth:Enabled"] = "false",
            // Scanning pushes SBOM referrers and appends events of its own; the tests that count manifests, referrers,
            // events or webhooks (and the conformance suite) run without it. The scanning tests turn it on.
            ["Scanning:Enabled"] = "false",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) overrides[k] = v;
        bool log = Environment.GetEnvironmentVariable("BOLLARD_TEST_LOG") == "1";
        _log = new TestLog(_output);
        _app = BollardApplication.Build(null, overrides, logging: b =>
        {
            if (log) b.AddSimpleConsole(o => o.SingleLine = true);
            b.AddProvider(_log);
        }, fromCommandLine: false, configureServices: services =>
        {
            if (_time is not null) services.AddSingleton(_time);
            _services?.Invoke(services);
        });
        await _app.StartAsync().ConfigureAwait(false);
        // The hosted services start once the server listens (BackgroundStartup); tests that read the stores or the
        // services straight after the start want them running, as a client that waits for /readyz would.
        if (_waitForBackground)
        {
            var startup = _app.Services.GetRequiredService<BackgroundStartup>();
            startup.StartNow();
            await startup.Started.WaitAsync(TimeSpan.FromMinutes(2)).ConfigureAwait(false);
        }
        BaseAddress = _app.Address();
        Client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromMinutes(5),
        };
        Client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("*/*"));
    }

    private async Task StopAppAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync().ConfigureAwait(false);
        TempDir.Delete(DataDir);
    }
}
