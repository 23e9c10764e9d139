using Bollard.Core.Events;
using Bollard.Core.Jobs;
using Bollard.Core.Scanning;
using Bollard.Scanning.Advisories;
using Bollard.Scanning.Layers;
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
        services.AddBollardAdvisories();
        services.AddSingleton(sp => new ImageAnalyzer(sp.GetService<ILayerIndexStore>(), ScanLimits.Default, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<FindingMatcher>();
        services.AddSingleton<SbomAttacher>();
        services.AddSingleton<Bollard.Core.Registry.Hooks.IDeleteCascade, GeneratedSbomCascade>();
        services.AddSingleton<ScanEvents>();
        services.AddSingleton<ImageScanner>();
        services.AddSingleton<IJobHandler, ScanJobHandler>();
        services.AddSingleton<IJobHandler, RematchJobHandler>();
        services.AddSingleton<IAdvisoryImportListener, RematchOnImport>();
        services.Configure<RouteOptions>(o => o.SetParameterPolicy<ManifestPathConstraint>(ManifestPathConstraint.Name));
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Add(ScanApiJson.Default);
            // A context's own enum setting does not reach a chained resolver: statuses by name, as stored.
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter<FindingStatus>());
        });
        return services;
    }
}
