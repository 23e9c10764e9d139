using Bollard.Core.Webhooks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Hosting;

/// <summary>Runs the <see cref="WebhookDeliveryRunner"/> for the life of the host, and logs failed attempts and store failures.</summary>
public sealed partial class WebhookDelivery(WebhookDeliveryRunner runner, ILogger<WebhookDelivery> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        runner.Failed = e => Log.StoreFailed(logger, e);
        runner.AttemptFailed = (webhook, delivery, error) => Log.AttemptFailed(logger, webhook, delivery, error);
        return runner.RunAsync(stoppingToken);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 700, Level = LogLevel.Error, Message = "Webhook delivery failed in the store; retrying with backoff")]
        public static partial void StoreFailed(ILogger logger, Exception e);

        [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "Webhook {Webhook} delivery {Delivery} failed: {Error}")]
        public static partial void AttemptFailed(ILogger logger, long webhook, long delivery, string error);
    }
}
