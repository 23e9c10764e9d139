using Bollard.Core.Events;
using Bollard.Scanning.Pipeline;
using Bollard.Server.Management;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Hosting;

/// <summary>
/// Issue 8, the scan pipeline (docs/scanning.md, "Scan pipeline"): the <c>scan</c> event subscriber, the scan and
/// re-match job kinds, <see cref="ScanService"/> behind the <c>/api/v1/</c> scan, package and exception endpoints.
/// The stores (<c>IScanStore</c>, <c>IScanExceptionStore</c>) are the host's metadata backend's.
/// </summary>
public static class ScanningServiceCollectionExtensions
{
    public static IServiceCollection AddBollardScanning(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<ScanOptions>().Bind(configuration.GetSection(ScanOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ScanOptions>>().Value);
        services.AddSingleton<ScanJobs>();
        services.AddSingleton<ScanService>();
        services.AddSingleton<IRegistryEventSubscriber, ScanEventSubscriber>();
        services.Configure<RouteOptions>(o => o.SetParameterPolicy<ManifestPathConstraint>(ManifestPathConstraint.Name));
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(ScanApiJson.Default));
        return services;
    }
}
