using Bollard.Core.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.Server.Hosting;

/// <summary>Registers a <see cref="RecurringJob"/> for <see cref="RecurringJobScheduler"/> (hosted by <c>AddBollardJobs</c>).</summary>
public static class RecurringJobServiceCollectionExtensions
{
    /// <summary>
    /// Enqueues a job of <paramref name="kind"/> every <paramref name="interval"/> (read once at startup, typically from
    /// the feature's options; zero is off), at most one queued or running at a time across all nodes. The kind
    /// needs its own <see cref="IJobHandler"/>. One line per feature:
    /// <c>services.AddRecurringJob("retention", sp =&gt; sp.GetRequiredService&lt;RetentionOptions&gt;().Interval);</c>
    /// </summary>
    public static IServiceCollection AddRecurringJob(this IServiceCollection services, string kind, Func<IServiceProvider, TimeSpan> interval, string payload = "{}") =>
        services.AddSingleton(sp => new RecurringJob { Kind = kind, Interval = interval(sp), Payload = payload });
}
