using Bollard.Core.Auth;
using Bollard.Core.Registry;
using Bollard.Server.Auth;
using Bollard.Server.Management;
using Bollard.Server.Distribution;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Hosting;

public static class ServerServiceCollectionExtensions
{
    /// <summary>Registers the registry features and the HTTP handlers; storage backends are registered by the host.</summary>
    public static IServiceCollection AddBollardRegistry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RegistryOptions>().Bind(configuration.GetSection(RegistryOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<RegistryOptions>>().Value);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<Bollard.Core.Health.BackgroundHealth>();
        services.AddSingleton<BlobService>();
        services.AddSingleton<ManifestService>();
        services.AddSingleton<DistributionHandler>();
        services.AddHostedService<UploadJanitor>();

        services.AddOptions<AuthOptions>().Bind(configuration.GetSection(AuthOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<AuthOptions>>().Value);
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<AccessEvaluator>();
        services.AddSingleton<AuditRecorder>();
        services.AddSingleton<Authenticator>();
        services.AddSingleton<IdentityService>();
        services.AddSingleton<RegistryGate>();
        services.AddSingleton<TokenEndpoint>();
        services.AddHostedService<AuditWriter>();
        services.AddHostedService<AdminBootstrap>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ManagementJson.Default));
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
        app.UseMiddleware<RequestLoggingMiddleware>();
        var handler = app.Services.GetRequiredService<DistributionHandler>();
        // Kestrel removes dot segments (also %2e%2e) from Request.Path before routing, so "/v2/../etc/manifests/x"
        // would match no endpoint and get a bare 404. Dispatch on the raw target: DistributionRoute then answers
        // NAME_INVALID (distribution-spec "Pulling manifests": <name> MUST match the name grammar) for what was sent.
        app.Use((context, next) =>
        {
            string raw = DistributionHandler.RawPath(context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "");
            bool rawIsV2 = raw == "/v2" || raw.StartsWith("/v2/", StringComparison.Ordinal);
            return rawIsV2 && !context.Request.Path.StartsWithSegments("/v2") ? handler.HandleAsync(context) : next(context);
        });
        app.Map("/v2", handler.HandleAsync);
        app.Map("/v2/{**rest}", handler.HandleAsync);
        var token = app.Services.GetRequiredService<TokenEndpoint>();
        app.MapMethods("/auth/token", ["GET", "POST"], token.HandleAsync).ExcludeFromDescription();
        ManagementApi.Map(app);
        app.MapOpenApi("/api/v1/openapi.json");
        app.MapGet("/healthz", () => Results.Text("ok"));
        // Ready means the metadata store answers; a node whose database is gone must leave the load balancer.
        app.MapGet("/readyz", async (Bollard.Core.Storage.IRepositoryStore repositories, Bollard.Core.Health.BackgroundHealth health, CancellationToken ct) =>
        {
            try
            {
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
