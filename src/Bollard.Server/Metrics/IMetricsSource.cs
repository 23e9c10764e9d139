using Prometheus;

namespace Bollard.Server.Metrics;

/// <summary>
/// A feature's metrics that are read from state at scrape time (job counts, storage use, GC progress) instead of
/// counted as things happen. Register with <c>services.AddSingleton&lt;IMetricsSource, X&gt;()</c>: <see cref="Register"/>
/// runs once, with the host's metric factory; <see cref="RefreshAsync"/> before a scrape, at most once per
/// <see cref="MetricsOptions.StoreReadInterval"/>. A refresh that throws keeps the last values (and is counted in
/// <c>bollard_metrics_refresh_failures_total</c>); it never fails the scrape.
/// </summary>
public interface IMetricsSource
{
    void Register(IMetricFactory factory);

    Task RefreshAsync(CancellationToken ct);
}
