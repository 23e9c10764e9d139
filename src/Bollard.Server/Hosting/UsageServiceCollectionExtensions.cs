using Bollard.Core.Registry;
using Bollard.Core.Registry.Hooks;
using Bollard.Core.Usage;
using Bollard.Core.Usage.Quotas;
using Bollard.Server.Management;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.Server.Hosting;

/// <summary>
/// Issue 7: repository delete, storage usage and quotas. The host's metadata backend provides <see cref="IUsageStore"/>
/// and <see cref="IQuotaStore"/>; quotas are enforced by a push check and an upload check.
/// </summary>
public static class UsageServiceCollectionExtensions
{
    public static IServiceCollection AddBollardUsage(this IServiceCollection services, IConfiguration configuration)
    {
        _ = configuration;
        services.AddSingleton<RepositoryService>();
        services.AddSingleton<RepositoryManagement>();
        services.AddSingleton<UsageService>();
        services.AddSingleton<QuotaService>();
        services.AddSingleton<QuotaExceededOutbox>();
        services.AddSingleton<IPushCheck, QuotaPushCheck>();
        services.AddSingleton<IUploadCheck, QuotaUploadCheck>();
        services.AddHostedService<QuotaEventWriter>();
        services.AddSingleton<Metrics.IMetricsSource, Metrics.UsageMetrics>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(UsageJson.Default));
        return services;
    }
}
