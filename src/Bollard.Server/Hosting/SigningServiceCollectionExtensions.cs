using Bollard.Core.Events;
using Bollard.Core.Security;
using Bollard.Server.Management;
using Bollard.Trust.Signing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Hosting;

/// <summary>
/// Issue 9, the server side of signing (docs/trust.md, "Signing and server-held keys"): the signature attacher's bounds,
/// the server's <see cref="RegistryArtifactSink"/>, server-held keys sealed under the key-encryption key
/// (<c>Trust:KeyEncryptionKeyFile</c>), <c>/api/v1/signing-keys</c>, and the <c>image-signed</c> event subscriber. The
/// key store (<c>IImageSigningKeyStore</c>) is the host's metadata backend's.
/// </summary>
public static class SigningServiceCollectionExtensions
{
    public static IServiceCollection AddBollardSigning(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<SignatureAttacherOptions>().Bind(configuration.GetSection(SignatureAttacherOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<SignatureAttacherOptions>>().Value);
        services.AddBollardKeyEncryptionKey(configuration);
        services.AddSingleton<RegistryArtifactSinkFactory>();
        services.AddSingleton<ServerSigningKeys>();
        services.TryAddSingleton<Bollard.Trust.Policy.IServerKeyResolver, StoredServerKeyResolver>();
        services.AddSingleton<IRegistryEventSubscriber, ImageSignedEvents>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(SigningApiJson.Default));
        return services;
    }
}
