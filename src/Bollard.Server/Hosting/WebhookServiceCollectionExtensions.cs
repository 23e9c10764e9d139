using Bollard.Core.Events;
using Bollard.Core.Webhooks;
using Bollard.Server.Management;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Hosting;

/// <summary>Webhooks (docs/webhooks.md): the fan-out subscriber, the sender, the management service; the host's store.</summary>
public static class WebhookServiceCollectionExtensions
{
    public static IServiceCollection AddBollardWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => Parses(o), "Webhooks:AllowedHosts or Webhooks:AllowedNetworks has an entry that is not a host name, '*.domain', '*', an address or a CIDR range")
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<WebhookOptions>>().Value);
        services.AddSingleton<WebhookDestinationPolicy>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookSignal>();
        services.AddSingleton<WebhookService>();
        services.AddSingleton<WebhookDeliveryRunner>();
        services.AddSingleton<IRegistryEventSubscriber, WebhookFanOut>();
        services.AddHostedService<WebhookDelivery>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(WebhookJson.Default));
        return services;
    }

    private static bool Parses(WebhookOptions options)
    {
        try
        {
            _ = new WebhookDestinationPolicy(options);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
