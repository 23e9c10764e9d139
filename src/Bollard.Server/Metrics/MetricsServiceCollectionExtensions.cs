using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Metrics;

/// <summary>
/// Prometheus metrics at <c>/metrics</c> (prometheus-net; docs/operations.md says why). Features add their scrape-time
/// numbers as <see cref="IMetricsSource"/>s.
/// </summary>
public static class MetricsServiceCollectionExtensions
{
    public const string Path = "/metrics";

    public static IServiceCollection AddBollardMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<MetricsOptions>().Bind(configuration.GetSection(MetricsOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<MetricsOptions>>().Value);
        services.AddSingleton<BollardMetrics>();
        services.AddSingleton<IMetricsSource, JobMetrics>();
        services.AddSingleton<IMetricsSource, AuditMetrics>();
        return services;
    }

    /// <summary>Counts requests (outermost middleware) and maps <c>/metrics</c>; does nothing when <c>Metrics:Enabled</c> is false.</summary>
    public static WebApplication UseBollardMetrics(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<MetricsOptions>();
        if (!options.Enabled) return app;
        app.UseMiddleware<HttpMetricsMiddleware>();
        var metrics = app.Services.GetRequiredService<BollardMetrics>();
        byte[]? secret = options.BearerToken is { } token ? Encoding.UTF8.GetBytes(token) : null;
        app.MapGet(Path, async (HttpContext http) =>
        {
            if (secret is not null && !Authorized(http.Request, secret))
            {
                http.Response.StatusCode = StatusCodes.Status401Unauthorized;
                http.Response.Headers.WWWAuthenticate = "Bearer realm=\"bollard metrics\"";
                await http.Response.WriteAsync("metrics need Authorization: Bearer <Metrics:BearerToken>\n", http.RequestAborted).ConfigureAwait(false);
                return;
            }
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            http.Response.Headers.CacheControl = "no-store";
            await metrics.Registry.CollectAndExportAsTextAsync(http.Response.Body, http.RequestAborted).ConfigureAwait(false);
        }).ExcludeFromDescription();
        return app;
    }

    private static bool Authorized(HttpRequest request, byte[] secret)
    {
        string header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        // Constant time: the comparison must not tell a prober how many leading characters were right.
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header.AsSpan(7).Trim().ToString()), secret);
    }
}
