using Bollard.Core.Immutability;
using Bollard.Core.Registry.Hooks;
using Bollard.Server.Management;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.Server.Hosting;

/// <summary>Tag immutability: the rules cache, its push check and the management service (the store is the host's).</summary>
public static class ImmutabilityServiceCollectionExtensions
{
    public static IServiceCollection AddBollardImmutability(this IServiceCollection services, IConfiguration configuration)
    {
        _ = configuration;
        services.AddSingleton<ImmutabilityRules>();
        services.AddSingleton<ImmutabilityService>();
        services.AddSingleton<IPushCheck, ImmutabilityCheck>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ImmutabilityJson.Default));
        return services;
    }
}
