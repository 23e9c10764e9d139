using Bollard.Core.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Hosting;

/// <summary>Runs the <see cref="RecurringJobScheduler"/> for the life of the host and logs store failures.</summary>
public sealed partial class RecurringJobSchedulerService(RecurringJobScheduler scheduler, ILogger<RecurringJobSchedulerService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var job in scheduler.Active) Log.Scheduled(logger, job.Kind, job.Interval);
        return scheduler.RunAsync(e => Log.Failed(logger, e), stoppingToken);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 312, Level = LogLevel.Information, Message = "Recurring job {Kind} every {Interval}")]
        public static partial void Scheduled(ILogger logger, string kind, TimeSpan interval);

        [LoggerMessage(EventId = 313, Level = LogLevel.Error, Message = "Scheduling recurring jobs failed; retrying with backoff")]
        public static partial void Failed(ILogger logger, Exception e);
    }
}
