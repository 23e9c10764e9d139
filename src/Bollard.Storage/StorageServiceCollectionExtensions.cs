using Bollard.Core.Auth;
using Bollard.Core.Events;
using Bollard.Core.Storage;
using Bollard.Storage.FileSystem;
using Bollard.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bollard.Storage;

/// <summary>One registration method per backend; the host picks by configuration.</summary>
public static class StorageServiceCollectionExtensions
{
    public static IServiceCollection AddFileSystemBlobStore(this IServiceCollection services, FileSystemBlobStoreOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<IBlobStore, FileSystemBlobStore>();
        return services;
    }

    public static IServiceCollection AddSqliteMetadata(this IServiceCollection services, SqliteOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<SqliteDatabase>();
        services.AddSingleton<IStorageErrorTranslator, SqliteErrorTranslator>();
        services.AddSingleton<IRepositoryStore, SqliteRepositoryStore>();
        services.AddSingleton<IManifestStore, SqliteManifestStore>();
        services.TryAddSingleton<RegistryEventSignal>();
        services.AddSingleton<IMetadataStore, SqliteMetadataStore>();
        services.AddSingleton<IEventStore, SqliteEventStore>();
        services.AddSingleton<Bollard.Core.Jobs.IJobStore, SqliteJobStore>();
        services.AddSingleton<IUploadStore, SqliteUploadStore>();
        services.AddSingleton<IIdentityStore, SqliteIdentityStore>();
        services.AddSingleton<IAccessStore, SqliteAccessStore>();
        services.AddSingleton<ISigningKeyStore, SqliteSigningKeyStore>();
        services.AddSingleton<Bollard.Core.Trust.IImageSigningKeyStore, SqliteImageSigningKeyStore>();
        services.AddSingleton<IAuditLog, SqliteAuditLog>();
        services.AddSingleton<Bollard.Core.Immutability.IImmutabilityStore, SqliteImmutabilityStore>();
        services.AddSingleton<Bollard.Core.Webhooks.IWebhookStore, SqliteWebhookStore>();
        services.AddSingleton<Bollard.Core.Retention.IRetentionStore, SqliteRetentionStore>();
        services.AddSingleton<Bollard.Core.Retention.IPullTimeStore, SqlitePullTimeStore>();
        services.AddSingleton<SqliteGcStore>();
        services.AddSingleton<Bollard.Core.Gc.IGcStore>(sp => sp.GetRequiredService<SqliteGcStore>());
        services.AddSingleton<Bollard.Core.Gc.IGcRunStore>(sp => sp.GetRequiredService<SqliteGcStore>());
        services.AddSingleton<Bollard.Core.Gc.IBlobPins>(sp => sp.GetRequiredService<SqliteGcStore>());
        services.AddSingleton<SqliteUsageStore>();
        services.AddSingleton<Bollard.Core.Usage.IUsageStore>(sp => sp.GetRequiredService<SqliteUsageStore>());
        services.AddSingleton<Bollard.Core.Usage.Quotas.IQuotaStore>(sp => sp.GetRequiredService<SqliteUsageStore>());
        services.AddSingleton<Bollard.Core.Scanning.Pipeline.IScanStore, SqliteScanStore>();
        services.AddSingleton<Bollard.Core.Scanning.Pipeline.IScanExceptionStore, SqliteScanExceptionStore>();
        services.AddSingleton<Bollard.Core.Scanning.Advisories.IAdvisoryStore, SqliteAdvisoryStore>();
        services.AddSingleton<Bollard.Core.Scanning.ILayerIndexStore, SqliteLayerIndexStore>();
        services.AddSingleton<Bollard.Core.Trust.ITrustPolicyStore, SqliteTrustPolicyStore>();
        services.AddSingleton<Bollard.Core.Trust.IDecisionLog, SqliteDecisionLog>();
        services.AddSingleton<Bollard.Core.Mirror.IMirrorStore, SqliteMirrorStore>();
        services.AddSingleton<Bollard.Core.Mirror.IUpstreamCredentialStore, SqliteUpstreamCredentialStore>();
        return services;
    }
}
