using Bollard.Core.Gc;
using Bollard.Core.Jobs;
using Bollard.Core.Retention;
using Bollard.Server.Management;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Hosting;

/// <summary>
/// Retention: policies (cached), the <c>retention</c> job kind on its schedule, the untagged-manifest answer GC asks,
/// and last-pull times batched in memory (the stores are the host's).
/// </summary>
public static class RetentionServiceCollectionExtensions
{
    public static IServiceCollection AddBollardRetention(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<RetentionOptions>().Bind(configuration.GetSection(RetentionOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<RetentionOptions>>().Value);
        services.AddSingleton<PullTimeRecorder>();
        services.AddHostedService<PullTimeWriter>();
        services.AddSingleton<RetentionPolicies>();
        services.AddSingleton<RetentionService>();
        services.AddSingleton<IJobHandler, RetentionJobHandler>();
        services.AddRecurringJob(RetentionJobHandler.JobKind, sp => sp.GetRequiredService<RetentionOptions>().Interval);
        // GC registers its default with TryAdd; the policies' answer replaces it whatever the order.
        services.Replace(ServiceDescriptor.Singleton<IUntaggedManifestPolicy, RetentionUntaggedManifestPolicy>());
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, RetentionJson.Default));
        return services;
    }
}
