using Bollard.Core.Events;
using Bollard.Core.Registry.Hooks;
using Bollard.Scanning.Pipeline;
using Bollard.Server.Management;
using Bollard.Server.Trust;
using Bollard.Trust.Policy;
using Bollard.Trust.Signing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Hosting;

/// <summary>
/// Issue 9, the server side of trust policies (docs/trust.md, "Policy API, pull gate and bollard policy"): the policy
/// engine over the stored policies, the scan facts and the registry's artifacts; the pull gate that enforces it
/// (replacing <see cref="AllowAllPullGate"/>); the decision recorder; the cache invalidation from registry events; the
/// <c>/api/v1/policies</c> and <c>/api/v1/decisions</c> services. The stores (<c>ITrustPolicyStore</c>,
/// <c>IDecisionLog</c>) are the host's metadata backend's. With no policy stored, every pull is allowed as before.
/// </summary>
public static class TrustServiceCollectionExtensions
{
    public static IServiceCollection AddBollardTrust(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<PolicyDecisionOptions>().Bind(configuration.GetSection(PolicyDecisionOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<PolicyDecisionOptions>>().Value);
        services.AddSingleton<StoredPolicySource>();
        services.AddSingleton<ITrustPolicySource>(sp => sp.GetRequiredService<StoredPolicySource>());
        services.AddSingleton<StoredScanFacts>();
        services.AddSingleton<IScanFactsSource>(sp => sp.GetRequiredService<StoredScanFacts>());
        services.AddSingleton(sp =>
        {
            var caches = new TrustCaches(sp.GetRequiredService<StoredPolicySource>(), sp.GetRequiredService<StoredScanFacts>());
            sp.GetRequiredService<ScanService>().ExceptionsChanged += caches.ExceptionsChanged;
            var engine = sp.GetRequiredService<TrustEngine>();
            caches.AllChanged += engine.InvalidateAll;
            // A server key added or deleted changes what policies naming it (serverKey) decide.
            if (sp.GetService<ServerSigningKeys>() is { } keys) keys.KeysChanged += caches.ServerKeysChanged;
            caches.ImageInvalidated += (repository, digest) =>
            {
                if (repository is { } r) engine.Invalidate(r, digest);
                else engine.Invalidate(digest);
            };
            // The engine's cache has no per-repository drop; a deleted manifest (whose subject is unknown) is rare.
            caches.RepositoryInvalidated += _ => engine.InvalidateAll();
            return caches;
        });
        services.AddOptions<TrustEngineOptions>().Bind(configuration.GetSection(TrustEngineOptions.Section)).ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<TrustEngineOptions>>().Value);
        services.AddSingleton<TrustEngine>();
        services.AddSingleton<ITrustDecisions>(sp => sp.GetRequiredService<TrustEngine>());
        services.AddSingleton<ITrustDryRun>(sp => sp.GetRequiredService<TrustEngine>());
        services.AddSingleton<ITrustSignatureInspector>(sp => sp.GetRequiredService<TrustEngine>());
        services.Replace(ServiceDescriptor.Singleton<IPullGate, PolicyPullGate>());
        // The engine's invalidation is attached when TrustCaches is made: at startup, when the event dispatcher resolves
        // TrustCacheInvalidator, before any event is delivered.
        services.AddSingleton<DecisionRecorder>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<DecisionRecorder>());
        services.AddSingleton<IRegistryEventSubscriber, TrustCacheInvalidator>();
        services.AddSingleton<PolicyService>();
        services.AddSingleton<PolicyEvaluation>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(PolicyApiJson.Default));
        return services;
    }
}
