using System.Text.Encodings.Web;
using Bollard.Core.Auth;
using Bollard.Core.Events;
using Bollard.Core.Jobs;
using Bollard.Core.Registry;
using Bollard.Core.Registry.Hooks;
using Bollard.Server.Auth;
using Bollard.Server.Management;
using Bollard.Server.Distribution;
using Bollard.Server.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Hosting;

/// <summary>
/// Each feature registers itself (<c>AddBollardX(configuration)</c>) and maps its endpoints (<c>MapBollardX()</c>);
/// a disabled feature registers a null object (e.g. <see cref="OpenRegistryGate"/>) instead of handlers asking
/// whether it is on. Storage backends are registered by the host.
/// </summary>
public static class ServerServiceCollectionExtensions
{
    /// <summary>Everything the server needs: distribution, access control and the management API.</summary>
    public static IServiceCollection AddBollardRegistry(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<Bollard.Core.Health.BackgroundHealth>();
        services.AddBollardDistribution(configuration);
        services.AddBollardAccessControl(configuration);
        services.AddBollardManagementApi(configuration);
        services.AddBollardJobs(configuration);
        services.AddBollardMetrics(configuration);
        services.AddBollardGc(configuration);
        services.AddBollardTrust(configuration);
        services.AddBollardMirror(configuration);
        services.AddBollardMirrorOps(configuration);
        return services;
    }

    /// <summary>
    /// The background job runner over the host's <see cref="IJobStore"/>: features add their
    /// <see cref="IJobHandler"/>s (<c>services.AddSingleton&lt;IJobHandler, X&gt;()</c>); with none it does nothing.
    /// The <see cref="RecurringJobScheduler"/> enqueues the recurring kinds features register with <c>AddRecurringJob</c>.
    /// </summary>
    public static IServiceCollection AddBollardJobs(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<JobOptions>().Bind(configuration.GetSection(JobOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<JobOptions>>().Value);
        services.AddSingleton<JobRunner>();
        services.AddHostedService<JobRunnerService>();
        // Recurring kinds: services.AddRecurringJob(kind, interval) (RecurringJobServiceCollectionExtensions).
        services.AddSingleton<RecurringJobScheduler>();
        services.AddHostedService<RecurringJobSchedulerService>();
        services.AddSingleton<IJobHandler, JobPruneJob>();
        services.AddRecurringJob(JobPruneJob.JobKind, sp => sp.GetRequiredService<JobOptions>().PruneInterval);
        return services;
    }

    /// <summary>The <c>/v2/</c> API: Core's registry services and one class per resource behind the dispatcher.</summary>
    public static IServiceCollection AddBollardDistribution(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RegistryOptions>().Bind(configuration.GetSection(RegistryOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<RegistryOptions>>().Value);
        services.AddSingleton<BlobService>();
        services.AddSingleton<ManifestService>();
        services.AddSingleton<CatalogEndpoint>();
        services.AddSingleton<BlobEndpoint>();
        services.AddSingleton<UploadEndpoint>();
        services.AddSingleton<ManifestEndpoint>();
        services.AddSingleton<TagEndpoint>();
        services.AddSingleton<ReferrersEndpoint>();
        services.AddSingleton<DistributionDispatcher>();
        services.TryAddSingleton<IManifestReader, StoredManifestReader>();
        // The read seams a pull-through mirror decorates (docs/architecture.md).
        services.TryAddSingleton<IBlobReader, StoredBlobReader>();
        services.TryAddSingleton<IPullGate, AllowAllPullGate>();
        // Signature discovery's view of the registry (issue 9): stored artifacts, ungated (docs/trust.md).
        services.TryAddSingleton<Bollard.Trust.Signatures.IArtifactSource, Bollard.Server.Trust.StoredArtifactSource>();
        services.TryAddSingleton<RegistryEventSignal>();
        services.AddOptions<EventOptions>().Bind(configuration.GetSection(EventOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<EventOptions>>().Value);
        services.AddSingleton<RegistryEventDispatcher>();
        services.AddSingleton<IRegistryEventSubscriber, AuditEventSubscriber>();
        services.AddHostedService<RegistryEventDelivery>();
        services.AddSingleton<IJobHandler, UploadSweepJob>();
        services.AddRecurringJob(UploadSweepJob.JobKind, sp => sp.GetRequiredService<RegistryOptions>().UploadSweepInterval);
        return services;
    }

    /// <summary>
    /// Identities, tokens, role bindings, the audit log and the token endpoint. With <c>Auth:Enabled: false</c>
    /// the gate is <see cref="OpenRegistryGate"/>: every request may do everything and nothing is audited.
    /// </summary>
    public static IServiceCollection AddBollardAccessControl(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>().Bind(configuration.GetSection(AuthOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<AuthOptions>>().Value);
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<AccessEvaluator>();
        services.AddSingleton<AuditRecorder>();
        services.AddSingleton<Authenticator>();
        services.AddSingleton<RefreshTokenService>();
        services.AddSingleton<IdentityService>();
        services.AddSingleton<RegistryGate>();
        services.AddSingleton<OpenRegistryGate>();
        services.AddSingleton<IRegistryGate>(sp => sp.GetRequiredService<AuthOptions>().Enabled
            ? sp.GetRequiredService<RegistryGate>()
            : sp.GetRequiredService<OpenRegistryGate>());
        services.AddSingleton<ChallengeRealm>();
        services.AddSingleton<TokenEndpoint>();
        services.AddHostedService<AuditWriter>();
        services.AddHostedService<AdminBootstrap>();
        return services;
    }

    /// <summary>The <c>/api/v1/</c> management API and its OpenAPI document.</summary>
    public static IServiceCollection AddBollardManagementApi(this IServiceCollection services, IConfiguration configuration)
    {
        _ = configuration;
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ManagementJson.Default);
            // Served as application/json, never inside HTML: "'" stays "'" (issue 6, C8).
            o.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });
        // Binding failures (wrong Content-Type, bad JSON, body too large) throw, so ManagementErrorMiddleware can
        // answer them with the documented error body instead of the framework's empty 400/415.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Bollard management API";
            doc.Info.Description = "Users, robot accounts, personal access tokens, role bindings, public namespaces and the audit log. Authenticate with HTTP Basic (password, personal access token or robot secret).";
            return Task.CompletedTask;
        }));
        return services;
    }

    public static WebApplication MapBollardRegistry(this WebApplication app)
    {
        RequestActivity.Use(app);
        app.UseBollardMetrics();
        app.UseMiddleware<RequestLoggingMiddleware>();
        app.MapBollardDistribution();
        app.MapBollardTokenEndpoint();
        app.MapBollardManagementApi();
        app.MapBollardHealth();
        return app;
    }

    public static WebApplication MapBollardDistribution(this WebApplication app)
    {
        var dispatcher = app.Services.GetRequiredService<DistributionDispatcher>();
        // Kestrel removes dot segments (also %2e%2e) from Request.Path before routing, so "/v2/../etc/manifests/x"
        // would match no endpoint and get a bare 404. Dispatch on the raw target: DistributionRoute then answers
        // NAME_INVALID (distribution-spec "Pulling manifests": <name> MUST match the name grammar) for what was sent.
        app.Use((context, next) =>
        {
            string raw = DistributionDispatcher.RawPath(context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "");
            bool rawIsV2 = raw == "/v2" || raw.StartsWith("/v2/", StringComparison.Ordinal);
            return rawIsV2 && !context.Request.Path.StartsWithSegments("/v2") ? dispatcher.HandleAsync(context) : next(context);
        });
        app.Map("/v2", dispatcher.HandleAsync);
        app.Map("/v2/{**rest}", dispatcher.HandleAsync);
        return app;
    }

    public static WebApplication MapBollardTokenEndpoint(this WebApplication app)
    {
        var token = app.Services.GetRequiredService<TokenEndpoint>();
        app.MapMethods("/auth/token", ["GET", "POST"], token.HandleAsync).ExcludeFromDescription();
        return app;
    }

    public static WebApplication MapBollardManagementApi(this WebApplication app)
    {
        ManagementApi.Map(app);
        app.MapOpenApi("/api/v1/openapi.json");
        return app;
    }

    public static WebApplication MapBollardHealth(this WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        // Ready means the metadata store answers and the background services have started (BackgroundStartup runs
        // them once the server listens); a node whose database is gone must leave the load balancer.
        var startup = app.Services.GetService<BackgroundStartup>();
        app.MapGet("/readyz", async (Bollard.Core.Storage.IRepositoryStore repositories, Bollard.Core.Health.BackgroundHealth health, CancellationToken ct) =>
        {
            try
            {
                if (startup is { Started: var started } && !started.IsCompletedSuccessfully)
                    return Results.Text(started.IsFaulted ? $"not ready: background services failed to start: {started.Exception!.InnerException!.Message}" : "not ready: background services are starting",
                        statusCode: StatusCodes.Status503ServiceUnavailable);
                await repositories.ListAsync(null, 1, ct).ConfigureAwait(false);
                // A background part that keeps failing (audit writer, sweeps) makes the node not ready, with the reason.
                var failing = health.Snapshot().Where(c => !c.Healthy).ToList();
                if (failing.Count > 0)
                    return Results.Text("not ready: " + string.Join("; ", failing.Select(c => $"{c.Component}: {c.Error} ({c.ConsecutiveFailures} failures since {c.Since:O})")),
                        statusCode: StatusCodes.Status503ServiceUnavailable);
                return Results.Text("ready");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Results.Text($"not ready: {e.Message}", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
        return app;
    }
}
