using Bollard.Core.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Hosting;

/// <summary>Runs the <see cref="JobRunner"/> for the life of the host, and logs failed jobs and store failures.</summary>
public sealed partial class JobRunnerService(JobRunner runner, ILogger<JobRunnerService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.Started(logger, runner.Owner, runner.Kinds.Count);
        return runner.RunAsync((kind, e) => Log.JobFailed(logger, kind, e), stoppingToken);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Job runner {Owner} started with handlers for {Kinds} job kinds")]
        public static partial void Started(ILogger logger, string owner, int kinds);

        [LoggerMessage(EventId = 311, Level = LogLevel.Error, Message = "Background job work failed ({Kind}); retrying with backoff")]
        public static partial void JobFailed(ILogger logger, string kind, Exception e);
    }
}
