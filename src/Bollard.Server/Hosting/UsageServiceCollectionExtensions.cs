using Bollard.Core.Registry;
using Bollard.Server.Management;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.Server.Hosting;

/// <summary>Issue 7: repository delete, storage usage and quotas.</summary>
public static class UsageServiceCollectionExtensions
{
    public static IServiceCollection AddBollardUsage(this IServiceCollection services, IConfiguration configuration)
    {
        _ = configuration;
        services.AddSingleton<RepositoryService>();
        services.AddSingleton<RepositoryManagement>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(UsageJson.Default));
        return services;
    }
}
