using Bollard.Core.Events;
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
        services.AddOptions<KeyEncryptionKeyOptions>().Bind(configuration.GetSection(KeyEncryptionKeyOptions.Section));
        services.AddSingleton<RegistryArtifactSinkFactory>();
        // Read (or created, 0600) on first use, so a server that never holds a key never writes the file.
        services.AddSingleton(sp =>
        {
            string configured = sp.GetRequiredService<IOptions<KeyEncryptionKeyOptions>>().Value.KeyEncryptionKeyFile ?? "";
            string path = configured.Length > 0 ? configured
                : Path.Combine(configuration["Storage:DataDir"] is { Length: > 0 } d ? d : "./bollard-data", "signing-keys.kek");
            var kek = new Lazy<KeyEncryptionKey>(() => KeyEncryptionKey.LoadOrCreate(path), LazyThreadSafetyMode.ExecutionAndPublication);
            return new Func<KeyEncryptionKey>(() => kek.Value);
        });
        services.AddSingleton<ServerSigningKeys>();
        services.TryAddSingleton<Bollard.Trust.Policy.IServerKeyResolver, StoredServerKeyResolver>();
        services.AddSingleton<IRegistryEventSubscriber, ImageSignedEvents>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(SigningApiJson.Default));
        return services;
    }
}

/// <summary>Where the key that seals server-held signing keys lives. Bound from <c>Trust</c>.</summary>
public sealed record KeyEncryptionKeyOptions
{
    public const string Section = "Trust";

    /// <summary>32 random bytes, created 0600 when absent; empty: <c>signing-keys.kek</c> in <c>Storage:DataDir</c>.</summary>
    public string? KeyEncryptionKeyFile { get; init; }
}
