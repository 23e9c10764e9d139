using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Bollard.Server.Hosting;

/// <summary>
/// Starts Bollard's hosted services (admin bootstrap, audit writer, job runner, event delivery, webhooks, ...) once
/// Kestrel listens, instead of before it: the generic host starts every hosted service ahead of the server, so the
/// first answer waited for their database queries and first-call JIT (D1 in bench/README.md). They start when the
/// first request has been answered, when a request with credentials arrives, or <see cref="Delay"/> after the server
/// listens, whichever comes first, so that on a small machine the first answer does not share the CPU with them.
/// Until they have all started, <c>/readyz</c> says not ready and a request that carries credentials waits (<see cref="UseBollardStartupGate"/>),
/// so no caller can see a missing admin account or an unaudited login; anonymous requests are answered at once.
/// A service that fails to start stops the host, as before; <c>bollard serve</c> then exits non-zero with its error.
/// </summary>
public sealed partial class BackgroundStartup(IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<BackgroundStartup> logger)
    : IHostedService
{
    /// <summary>The key the deferred <see cref="IHostedService"/> registrations are moved under.</summary>
    public const string ServiceKey = "bollard:background-startup";

    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<IHostedService> _running = [];
    private readonly Lock _gate = new();
    private Task? _starting;
    private bool _listening;
    private CancellationTokenRegistration _onStarted;
    private ITimer? _timer;

    /// <summary>How long after the server listens the services start if no request came.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(250);

    /// <summary>Completes when every deferred service has started; faults with the first start failure; cancelled
    /// when the host stops first.</summary>
    public Task Started => _started.Task;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _onStarted = lifetime.ApplicationStarted.Register(() =>
        {
            lock (_gate) _listening = true;
            var timer = TimeProvider.System.CreateTimer(_ => StartNow(), null, Delay, Timeout.InfiniteTimeSpan);
            lock (_gate) _timer = timer;
        });
        return Task.CompletedTask;
    }

    /// <summary>Starts the deferred services now if the server listens and they have not been started yet.</summary>
    public void StartNow()
    {
        lock (_gate)
        {
            if (!_listening || _starting is not null) return;
            _starting = Task.Run(StartAllAsync, CancellationToken.None);
        }
    }

    private async Task StartAllAsync()
    {
        // The host passes its services a token that fires when the host stops; ApplicationStopping is that token.
        var stopping = lifetime.ApplicationStopping;
        try
        {
            foreach (var service in services.GetKeyedServices<IHostedService>(ServiceKey))
            {
                stopping.ThrowIfCancellationRequested();
                if (service is IHostedLifecycleService lifecycle) await lifecycle.StartingAsync(stopping).ConfigureAwait(false);
                await service.StartAsync(stopping).ConfigureAwait(false);
                lock (_gate) _running.Add(service);
                if (service is IHostedLifecycleService started) await started.StartedAsync(stopping).ConfigureAwait(false);
            }
            _started.TrySetResult();
            Log.AllStarted(logger);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            _started.TrySetCanceled(stopping);
        }
        catch (Exception e)
        {
            Log.StartFailed(logger, e);
            _started.TrySetException(e);
            lifetime.StopApplication();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _onStarted.DisposeAsync().ConfigureAwait(false);
        Task? starting;
        ITimer? timer;
        lock (_gate)
        {
            _listening = false; // nothing starts any more
            starting = _starting;
            timer = _timer;
        }
        if (timer is not null) await timer.DisposeAsync().ConfigureAwait(false);
        // A start still under way sees ApplicationStopping and ends at the next service; wait for it, then stop what
        // started, last first (the host's own order).
        if (starting is not null) await starting.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        IHostedService[] running;
        lock (_gate) running = [.. _running];
        List<Exception> failures = [];
        foreach (var service in running.Reverse())
        {
            try
            {
                if (service is IHostedLifecycleService lifecycle) await lifecycle.StoppingAsync(cancellationToken).ConfigureAwait(false);
                await service.StopAsync(cancellationToken).ConfigureAwait(false);
                if (service is IHostedLifecycleService stopped) await stopped.StoppedAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failures.Add(e);
            }
        }
        if (failures.Count > 0) throw new AggregateException("background services failed to stop", failures);
    }

    /// <summary>Throws the exception a deferred service failed to start with, if one did (after the host stopped).</summary>
    public static async Task ThrowIfStartFailedAsync(IServiceProvider services)
    {
        if (services.GetService<BackgroundStartup>() is { Started.IsFaulted: true } startup) await startup.Started.ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "Background services started")]
        public static partial void AllStarted(ILogger logger);

        [LoggerMessage(EventId = 21, Level = LogLevel.Critical, Message = "A background service failed to start; stopping")]
        public static partial void StartFailed(ILogger logger, Exception e);
    }
}

public static class BackgroundStartupExtensions
{
    /// <summary>
    /// Moves every <see cref="IHostedService"/> registered so far under <see cref="BackgroundStartup.ServiceKey"/>, to
    /// be started by <see cref="BackgroundStartup"/> after the server listens. Call it last, before
    /// <c>builder.Build()</c> (which adds the web server's own hosted service, so that one is never deferred).
    /// </summary>
    public static IServiceCollection DeferHostedServicesUntilListening(this IServiceCollection services)
    {
        var hosted = services.Where(d => d.ServiceType == typeof(IHostedService) && !d.IsKeyedService).ToList();
        foreach (var d in hosted)
        {
            services.Remove(d);
            services.Add(ToKeyed(d));
        }
        services.AddSingleton<BackgroundStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<BackgroundStartup>());
        return services;
    }

    private static ServiceDescriptor ToKeyed(ServiceDescriptor d)
    {
        if (d.ImplementationInstance is { } instance) return new ServiceDescriptor(typeof(IHostedService), BackgroundStartup.ServiceKey, instance);
        if (d.ImplementationFactory is { } factory)
            return new ServiceDescriptor(typeof(IHostedService), BackgroundStartup.ServiceKey, (sp, _) => factory(sp), d.Lifetime);
        return new ServiceDescriptor(typeof(IHostedService), BackgroundStartup.ServiceKey, d.ImplementationType!, d.Lifetime);
    }

    /// <summary>
    /// A request with credentials waits until the background services have started (the admin account exists, the
    /// audit writer runs); one without is served at once. If they failed to start, the answer is 503.
    /// </summary>
    public static WebApplication UseBollardStartupGate(this WebApplication app)
    {
        if (app.Services.GetService<BackgroundStartup>() is not { } startup) return app;
        app.Use(async (context, next) =>
        {
            var started = startup.Started;
            if (started.IsCompletedSuccessfully)
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            if (context.Request.Headers.ContainsKey(HeaderNames.Authorization))
            {
                startup.StartNow();
                await started.WaitAsync(context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                context.RequestAborted.ThrowIfCancellationRequested();
                if (!started.IsCompletedSuccessfully)
                {
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    return;
                }
                await next(context).ConfigureAwait(false);
                return;
            }
            try
            {
                await next(context).ConfigureAwait(false);
            }
            finally
            {
                // The first answer is out: the background services may have the CPU now.
                startup.StartNow();
            }
        });
        return app;
    }
}
