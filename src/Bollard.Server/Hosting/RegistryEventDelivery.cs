using Bollard.Core.Events;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Hosting;

/// <summary>Runs the <see cref="RegistryEventDispatcher"/> for the life of the host, and logs failed deliveries.</summary>
public sealed partial class RegistryEventDelivery(RegistryEventDispatcher dispatcher, ILogger<RegistryEventDelivery> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        dispatcher.RunAsync((subscriber, e) => Log.DeliveryFailed(logger, subscriber, e), stoppingToken);

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Error, Message = "Delivering registry events to {Subscriber} failed; retrying with backoff")]
        public static partial void DeliveryFailed(ILogger logger, string subscriber, Exception e);
    }
}
