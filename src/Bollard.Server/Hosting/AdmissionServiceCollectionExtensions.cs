using Bollard.Core.Registry;
using Bollard.Server.Admission;
using Bollard.Trust.Admission;
using Bollard.Trust.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Hosting;

/// <summary>
/// Issue 9, the Kubernetes admission webhook (docs/admission.md): <c>POST /admission/validate</c> and
/// <c>/admission/mutate</c>, deciding through the host's <see cref="ITrustDecisions"/> (the policy engine, registered
/// by the trust feature) and resolving tags through <see cref="IManifestReader"/>.
/// </summary>
public static class AdmissionServiceCollectionExtensions
{
    public static IServiceCollection AddBollardAdmission(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<AdmissionOptions>().Bind(configuration.GetSection(AdmissionOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<AdmissionOptions>, AdmissionOptionsValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<AdmissionOptions>>().Value);
        services.AddSingleton<AdmissionClientCheck>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<AdmissionOptions>();
            RegistryHosts? known = null;
            RegistryHosts Hosts()
            {
                if (known is not null) return known;
                // The listen address (its real port, also when configured as :0) is one of this registry's names.
                var addresses = sp.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
                var listen = addresses.Select(a => Uri.TryCreate(a, UriKind.Absolute, out var u) ? u.Authority : null).OfType<string>().ToList();
                var hosts = new RegistryHosts(options.RegistryHosts.Concat(listen));
                if (listen.Count > 0) known = hosts;
                return hosts;
            }
            ITrustDecisions? Decisions() => sp.GetService<ITrustDecisions>() is { } engine
                ? sp.GetService<Bollard.Server.Trust.DecisionRecorder>() is { } recorder ? new Bollard.Server.Admission.RecordedAdmissionDecisions(engine, recorder) : engine
                : null;
            return new AdmissionReviewer(sp.GetRequiredService<IManifestReader>(), Decisions, options, Hosts,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AdmissionReviewer>>());
        });
        services.AddSingleton<AdmissionEndpoint>();
        // The API server's client certificate: Kestrel asks every TLS client for one but accepts none or any, so other
        // clients (docker, skopeo, browsers) are unaffected; only the admission endpoints check it against the CA.
        // Read when Kestrel's options are built: the host adds its configuration layers after registering features.
        services.Configure<KestrelServerOptions>(k =>
        {
            if (configuration[$"{AdmissionOptions.Section}:{nameof(AdmissionOptions.ClientCaFile)}"] is not { Length: > 0 }
                || string.Equals(configuration[$"{AdmissionOptions.Section}:{nameof(AdmissionOptions.Authentication)}"], nameof(AdmissionAuthentication.None), StringComparison.OrdinalIgnoreCase))
                return;
            k.ConfigureHttpsDefaults(https =>
            {
                https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                https.ClientCertificateValidation = (_, _, _) => true;
            });
        });
        return services;
    }

    public static WebApplication MapBollardAdmission(this WebApplication app)
    {
        var endpoint = app.Services.GetRequiredService<AdmissionEndpoint>();
        app.MapPost("/admission/validate", endpoint.ValidateAsync).ExcludeFromDescription();
        app.MapPost("/admission/mutate", endpoint.MutateAsync).ExcludeFromDescription();
        return app;
    }
}
