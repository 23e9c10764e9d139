using Bollard.Core.Jobs;
using Bollard.Core.Mirror;
using Bollard.Core.Mirror.Upstream;
using Bollard.Core.Registry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Hosting;

/// <summary>
/// The pull-through mirror (issue 10, docs/mirror.md): the <c>Mirror</c> options, the name router, the counters and the
/// fetch limiter; with upstreams configured, the decorators of the read seams (<see cref="Core.Registry.IManifestReader"/>,
/// <see cref="Core.Registry.IBlobReader"/>) over the stored readers. Without upstreams nothing is decorated and the
/// registry behaves exactly as before.
/// </summary>
public static partial class MirrorServiceCollectionExtensions
{
    public static IServiceCollection AddBollardMirror(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<MirrorOptions>().Bind(configuration.GetSection(MirrorOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<MirrorOptions>>().Value);
        services.AddSingleton<MirrorRouter>();
        services.AddSingleton<MirrorCounters>();
        // One bucket per principal (anonymous: per client address) of Mirror:FetchesPerMinutePerPrincipal; 0 is unlimited.
        services.TryAddSingleton<IMirrorFetchLimiter, PrincipalFetchLimiter>();
        // Who pulled what through the mirror goes to the audit log when there is one (access control on).
        services.TryAddSingleton<IMirrorFetchObserver>(sp => sp.GetRequiredService<Core.Auth.AuthOptions>().Enabled
            ? new AuditingMirrorFetchObserver(sp.GetRequiredService<Core.Auth.AuditRecorder>())
            : new NoMirrorFetchObserver());
        services.AddSingleton<Distribution.TransparentMirror>();
        services.AddSingleton<Metrics.IMetricsSource, Metrics.MirrorMetrics>();
        // Credentials an admin stores at runtime, sealed under the key-encryption key shared with server-held signing keys.
        services.AddBollardKeyEncryptionKey(configuration);
        // A stored row that does not open (another key file, tampering) is logged once, then not tried again until it changes.
        services.TryAddSingleton(sp =>
        {
            var log = sp.GetRequiredService<ILogger<UpstreamCredentials>>();
            return ActivatorUtilities.CreateInstance<UpstreamCredentials>(sp, (Action<string>)(reason => LogUnreadableCredentials(log, reason)));
        });
        services.AddHostedService<MirrorCredentialCleanup>();
        services.TryAddSingleton<IUpstreamRegistry, HttpUpstreamRegistry>();
        // The stored readers stay registered under their own types and the seams resolve to the mirror's readers, but only
        // with upstreams configured: decided when first resolved, since the configuration's layers are added after the
        // services are (BollardApplication.Build). A decorator that writes (ManifestService) resolves it lazily from
        // the provider: ManifestService itself reads through IManifestReader.
        services.TryAddSingleton<StoredManifestReader>();
        services.TryAddSingleton<StoredBlobReader>();
        services.AddSingleton<MirrorSignatureFetches>();
        services.AddSingleton<MirrorSignatureSync>();
        services.AddSingleton<IJobHandler, MirrorSignatureJob>();
        // Trust decisions on mirrored images: upstream names count, and signatures are brought before the first decision.
        // The sync is resolved when first used: it reads through the read seams, which the trust gate may sit behind.
        services.TryAddSingleton<Core.Registry.Hooks.ISignatureOrigin>(sp => new MirrorSignatureOrigin(sp.GetRequiredService<MirrorRouter>(),
            () => sp.GetRequiredService<MirrorSignatureSync>(), sp.GetRequiredService<TimeProvider>(),
            WarnTo(sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<MirrorSignatureOrigin>>())));
        services.Replace(ServiceDescriptor.Singleton<IManifestReader>(sp => !sp.GetRequiredService<MirrorOptions>().Enabled
            ? sp.GetRequiredService<StoredManifestReader>()
            : new MirrorManifestReader(
                sp.GetRequiredService<StoredManifestReader>(), sp.GetRequiredService<MirrorRouter>(), sp.GetRequiredService<IUpstreamRegistry>(),
                sp.GetRequiredService<IMirrorStore>(), () => sp.GetRequiredService<ManifestService>(), sp.GetRequiredService<IMirrorFetchLimiter>(),
                sp.GetRequiredService<IMirrorFetchObserver>(), sp.GetRequiredService<MirrorCounters>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<MirrorSignatureFetches>())));
        AddMirrorBlobReader(services, configuration);
        return services;
    }

    private static Action<string> WarnTo(Microsoft.Extensions.Logging.ILogger logger) => message => LogMirrorWarning(logger, message);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "{Message}")]
    private static partial void LogMirrorWarning(Microsoft.Extensions.Logging.ILogger logger, string message);

    /// <summary>Blob misses are fetched once per (upstream, digest) through a spool in <c>Mirror:SpoolDir</c> (default <c>DATADIR/mirror-spool</c>).</summary>
    private static void AddMirrorBlobReader(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<MirrorOptions>();
            string spool = options.SpoolDir is { Length: > 0 } dir ? dir
                : Path.Combine(configuration["Storage:DataDir"] is { Length: > 0 } d ? d : "./bollard-data", "mirror-spool");
            return ActivatorUtilities.CreateInstance<BlobFetches>(sp, spool);
        });
        services.Replace(ServiceDescriptor.Singleton<IBlobReader>(sp => !sp.GetRequiredService<MirrorOptions>().Enabled
            ? sp.GetRequiredService<StoredBlobReader>()
            : ActivatorUtilities.CreateInstance<MirrorBlobReader>(sp, sp.GetRequiredService<StoredBlobReader>())));
    }

    [LoggerMessage(EventId = 920, Level = LogLevel.Error, Message = "Mirror: {Reason}")]
    private static partial void LogUnreadableCredentials(ILogger logger, string reason);
}
