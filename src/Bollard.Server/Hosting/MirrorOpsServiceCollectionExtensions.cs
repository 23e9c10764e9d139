using Bollard.Core.Jobs;
using Bollard.Core.Mirror;
using Bollard.Core.Mirror.Eviction;
using Bollard.Core.Mirror.Sync;
using Bollard.Server.Management;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Hosting;

/// <summary>
/// Operating the mirror (docs/mirror.md): syncs (the <c>mirror-sync</c> job kind, and one recurring
/// <c>mirror-sync-list:&lt;upstream&gt;</c> per upstream with a <see cref="UpstreamOptions.Sync"/> list), eviction (the
/// recurring <c>mirror-evict</c> while an upstream sets <see cref="UpstreamOptions.EvictAfter"/>), the services behind
/// <c>/api/v1/mirror</c>, and the startup check of the sync lists. Needs <see cref="MirrorServiceCollectionExtensions.AddBollardMirror"/>
/// (options, router, counters) and the host's <see cref="IMirrorStore"/> and pull-time store.
/// </summary>
public static class MirrorOpsServiceCollectionExtensions
{
    public static IServiceCollection AddBollardMirrorOps(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IValidateOptions<MirrorOptions>, MirrorOpsOptionsValidator>();
        services.AddSingleton<MirrorSyncer>();
        services.AddSingleton<MirrorSyncService>();
        services.AddSingleton<IJobHandler, MirrorSyncJob>();
        services.AddSingleton<MirrorCacheManagement>();
        services.AddSingleton<MirrorEvictor>();
        services.AddSingleton<MirrorEvictionService>();
        services.AddSingleton<IJobHandler>(sp => new MirrorEvictionJob(new Lazy<MirrorEvictor>(sp.GetRequiredService<MirrorEvictor>)));
        services.AddRecurringJob(MirrorEvictionJob.JobKind, sp => MirrorEvictionJob.ScheduleFor(sp.GetRequiredService<MirrorOptions>()));
        // One recurring kind per upstream with a sync list (the scheduler keeps one schedule per kind). The upstreams are
        // read from the configuration here, as the services are built before the options are bound.
        var upstreams = new MirrorOptions();
        configuration.GetSection(MirrorOptions.Section).Bind(upstreams);
        foreach (var upstream in upstreams.Upstreams.Where(u => u.Name.Length > 0 && u.Sync.Count > 0).DistinctBy(u => u.Name))
        {
            string name = upstream.Name;
            services.AddSingleton<IJobHandler>(sp => new MirrorSyncListJob(name, sp.GetRequiredService<MirrorSyncService>()));
            services.AddRecurringJob(MirrorSyncListJob.KindPrefix + name, sp => sp.GetRequiredService<MirrorOptions>().Find(name)?.SyncInterval ?? TimeSpan.Zero);
        }
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(MirrorJson.Default));
        return services;
    }

    private sealed class MirrorOpsOptionsValidator : IValidateOptions<MirrorOptions>
    {
        public ValidateOptionsResult Validate(string? name, MirrorOptions options)
        {
            var problems = MirrorOpsValidation.Problems(options);
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
