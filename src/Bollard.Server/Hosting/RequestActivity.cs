using Bollard.Core.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.Server.Hosting;

/// <summary>
/// Counts requests as they start and end (two atomic adds per request), for background work that yields to them
/// (<see cref="Core.Gc.GcPacer"/>). Counted outermost, whatever the request is and whether metrics are on.
/// </summary>
public sealed class RequestActivity : IForegroundActivity
{
    private long _started;
    private int _inFlight;

    public long Started => Volatile.Read(ref _started);

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Adds the counting to the pipeline when the host registered a <see cref="RequestActivity"/>.</summary>
    public static void Use(WebApplication app)
    {
        if (app.Services.GetService<RequestActivity>() is not { } activity) return;
        app.Use(async (context, next) =>
        {
            Interlocked.Increment(ref activity._started);
            Interlocked.Increment(ref activity._inFlight);
            try
            {
                await next(context).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref activity._inFlight);
            }
        });
    }
}
