using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Bollard.Scanning.Advisories;

/// <summary>Registers the advisory database (the store, <c>IAdvisoryStore</c>, comes from the storage backend).</summary>
public static class AdvisoryServiceCollectionExtensions
{
    public static IServiceCollection AddBollardAdvisories(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new AdvisoryDatabase(
            sp.GetRequiredService<Bollard.Core.Scanning.Advisories.IAdvisoryStore>(),
            () => sp.GetServices<IAdvisoryImportListener>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<AdvisoryDatabase>>()));
        return services;
    }
}
