using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Conformance;

/// <summary>
/// One real Bollard server per test class. Every test gets its own repository (a fresh
/// <c>OCI_NAMESPACE</c>) and fresh content, so tests stay independent while sharing the server.
/// </summary>
public sealed class ConformanceServerFixture : IAsyncLifetime
{
    private BollardServer? _server;
    private HttpClient? _http;

    internal BollardServer Server => _server!;

    public async Task InitializeAsync()
    {
        _server = await BollardServer.StartAsync();
        // Not server.Client: that one sends Accept: */*, and reggie sends no Accept unless a spec sets one.
        // Redirects are followed, as Go's http.Client does.
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = true }) { BaseAddress = _server.BaseAddress };
    }

    internal ConformanceRun NewRun(ConformanceSettings? settings = null, ITestOutputHelper? output = null)
    {
        settings ??= ConformanceSettings.Fresh();
        return new ConformanceRun(new ConformanceClient(_http!, settings.Namespace, settings.ChunkedBodies), new ConformanceData(), settings, output);
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }
}
