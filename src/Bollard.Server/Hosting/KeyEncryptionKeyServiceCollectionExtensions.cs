using Bollard.Core.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Hosting;

/// <summary>
/// The server's one <see cref="KeyEncryptionKey"/> (<c>Trust:KeyEncryptionKeyFile</c>, default <c>signing-keys.kek</c> in
/// <c>Storage:DataDir</c>), as a <c>Func&lt;KeyEncryptionKey&gt;</c>: shared by the features that keep secrets sealed in the
/// metadata database (server-held signing keys, the mirror's stored upstream credentials). Idempotent.
/// </summary>
public static class KeyEncryptionKeyServiceCollectionExtensions
{
    public static IServiceCollection AddBollardKeyEncryptionKey(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(Func<KeyEncryptionKey>))) return services;
        services.AddOptions<KeyEncryptionKeyOptions>().Bind(configuration.GetSection(KeyEncryptionKeyOptions.Section));
        // Read (or created, 0600) on first use, so a server that never seals a secret never writes the file.
        services.AddSingleton(sp =>
        {
            string configured = sp.GetRequiredService<IOptions<KeyEncryptionKeyOptions>>().Value.KeyEncryptionKeyFile ?? "";
            string path = configured.Length > 0 ? configured
                : Path.Combine(configuration["Storage:DataDir"] is { Length: > 0 } d ? d : "./bollard-data", "signing-keys.kek");
            var kek = new Lazy<KeyEncryptionKey>(() => KeyEncryptionKey.LoadOrCreate(path), LazyThreadSafetyMode.ExecutionAndPublication);
            return new Func<KeyEncryptionKey>(() => kek.Value);
        });
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
