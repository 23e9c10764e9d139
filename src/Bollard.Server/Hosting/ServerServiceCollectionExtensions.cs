using Bollard.Core.Registry;
using Bollard.Server.Distribution;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<BlobService>();
        services.AddSingleton<ManifestService>();
        services.AddSingleton<DistributionHandler>();
        services.AddHostedService<UploadJanitor>();
        return services;
    }

    public static WebApplication MapBollardRegistry(this WebApplication app)
    {
        app.UseMiddleware<RequestLoggingMiddleware>();
        var handler = app.Services.GetRequiredService<DistributionHandler>();
        app.Map("/v2", handler.HandleAsync);
        app.Map("/v2/{**rest}", handler.HandleAsync);
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", () => Results.Text("ready"));
        return app;
    }
}
