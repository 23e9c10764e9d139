using Bollard.Scanning.Advisories;
using Bollard.Server.Management;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Hosting;

/// <summary>Issue 8, the advisory database (docs/scanning.md, "Advisory database"): <see cref="AdvisoryDatabase"/> and the <c>/api/v1/advisories</c> endpoints' settings and JSON.</summary>
public static class AdvisoryApiServiceCollectionExtensions
{
    public static IServiceCollection AddBollardAdvisoryApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddBollardAdvisories();
        services.AddOptions<AdvisoryApiOptions>().Bind(configuration.GetSection(AdvisoryApiOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<AdvisoryApiOptions>>().Value);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(AdvisoryApiJson.Default));
        return services;
    }
}
