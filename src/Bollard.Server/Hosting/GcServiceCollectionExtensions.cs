using Bollard.Core.Gc;
using Bollard.Core.Jobs;
using Bollard.Server.Management;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Hosting;

/// <summary>Online garbage collection: the <c>gc</c> job kind, its schedule (<c>Gc:Interval</c>) and <c>/api/v1/gc</c>.</summary>
public static class GcServiceCollectionExtensions
{
    /// <summary>Needs the host's <see cref="IGcStore"/>, <see cref="IGcRunStore"/> and <see cref="IBlobPins"/> (storage backend).</summary>
    public static IServiceCollection AddBollardGc(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GcOptions>().Bind(configuration.GetSection(GcOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<GcOptions>>().Value);
        services.TryAddSingleton<IUntaggedManifestPolicy, KeepUntaggedManifests>();
        // GC paces itself against client requests (GcPacer); the pipeline counts them (MapBollardRegistry).
        services.TryAddSingleton<RequestActivity>();
        services.TryAddSingleton<IForegroundActivity>(sp => sp.GetRequiredService<RequestActivity>());
        services.AddSingleton<GarbageCollector>();
        services.AddSingleton<GcService>();
        services.AddSingleton<IJobHandler, GcJobHandler>();
        services.AddSingleton<Metrics.IMetricsSource, Metrics.GcMetrics>();
        services.AddRecurringJob(GcJobHandler.JobKind, sp => sp.GetRequiredService<GcOptions>().Interval, GcJobHandler.Payload(dryRun: false, "schedule"));
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(GcJson.Default));
        return services;
    }
}
