using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Bollard.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bollard.IntegrationTests.Hosting;

/// <summary>
/// Issue 6, D1: the hosted services (admin bootstrap, audit writer, job runner, event delivery, ...) start after the
/// server listens, so the first answer does not wait for them. Until they have started, /readyz says not ready and a
/// request with credentials waits; an anonymous one is answered at once.
/// </summary>
public sealed class BackgroundStartupTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string AdminPassword = "admin-password-123";

    /// <summary>A background service whose start takes as long as the test wants.</summary>
    private sealed class SlowToStart(TaskCompletionSource release) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => release.Task.WaitAsync(cancellationToken);
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class FailsToStart : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("cannot start (test)");
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Fact]
    public async Task WhileABackgroundServiceStarts_AnonymousIsAnswered_ReadyzIsNotReady_CredentialedRequestWaits()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            // Before the change the host started every hosted service ahead of Kestrel: this start never returned.
            await using var server = await BollardServer.StartAsync(new Dictionary<string, string?>
            {
                ["Auth:Enabled"] = "true",
                ["Auth:AdminPassword"] = AdminPassword,
            }, output: output, services: s => s.AddHostedService(_ => new SlowToStart(release)), waitForBackgroundServices: false)
                .WaitAsync(TimeSpan.FromSeconds(60));

            using (var anonymous = await server.Client.GetAsync("/v2/").WaitAsync(TimeSpan.FromSeconds(30)))
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            using (var ready = await server.Client.GetAsync("/readyz"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
                Assert.Contains("background services are starting", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{AdminPassword}")));
            var credentialed = server.Client.SendAsync(request);
            var first = await Task.WhenAny(credentialed, Task.Delay(TimeSpan.FromSeconds(1)));
            Assert.NotSame(credentialed, first);

            release.SetResult();
            using (var answer = await credentialed.WaitAsync(TimeSpan.FromSeconds(30)))
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            await server.Services.GetRequiredService<BackgroundStartup>().Started.WaitAsync(TimeSpan.FromSeconds(30));
            using (var ready = await server.Client.GetAsync("/readyz"))
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task ABackgroundServiceThatFailsToStart_StopsTheHost_WithItsError()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            BollardServer.StartAsync(output: output, services: s => s.AddHostedService<FailsToStart>()).WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("cannot start (test)", e.Message);
    }
}
