using System.Globalization;
using Bollard.Server.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Bollard.Server.Metrics;

/// <summary>
/// The host's metrics: one private prometheus-net registry per host (so two servers in one process never mix
/// their numbers), the instruments that are counted as requests happen, and the <see cref="IMetricsSource"/>s read
/// at scrape time. Names follow the Prometheus conventions: <c>bollard_</c> prefix, base units (seconds, bytes) in
/// the name, <c>_total</c> on counters, bounded label values (route templates, not repository names).
/// </summary>
public sealed partial class BollardMetrics : IDisposable
{
    private static readonly string[] StatusCodes = [.. Enumerable.Range(0, 600).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    // Registry operations range from sub-millisecond manifest GETs to multi-minute layer uploads.
    private static readonly double[] DurationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    private readonly Counter _requests;
    private readonly Histogram _duration;
    private readonly Counter _bytesIn;
    private readonly Counter _bytesOut;
    private readonly Gauge _inFlight;
    private readonly Counter _authFailures;
    private readonly Counter _refreshFailures;
    private readonly IReadOnlyList<IMetricsSource> _sources;
    private readonly MetricsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<BollardMetrics> _logger;
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private DateTimeOffset _refreshedAt = DateTimeOffset.MinValue;

    public BollardMetrics(IEnumerable<IMetricsSource> sources, MetricsOptions options, TimeProvider time, ILogger<BollardMetrics> logger)
    {
        _sources = [.. sources];
        _options = options;
        _time = time;
        _logger = logger;
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        // No exemplars: by default prometheus-net attaches the current Activity's trace and span ids (ASP.NET Core
        // starts an Activity for every request) to every counter increment and histogram observation, formatting
        // both ids as strings and pooling an exemplar object each time, and /metrics serves the text format, which
        // never shows them. That was most of the per-request cost of metrics (bench/README.md, metrics section).
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        _requests = factory.CreateCounter("bollard_http_requests_total", "HTTP requests answered, by route template, method and status code.", ["route", "method", "code"]);
        _duration = factory.CreateHistogram("bollard_http_request_duration_seconds", "Time from the request's arrival to the end of its response, by route template and method.",
            ["route", "method"], new HistogramConfiguration { Buckets = DurationBuckets });
        _bytesIn = factory.CreateCounter("bollard_http_request_body_bytes_total", "Request body bytes received, by route template.", ["route"]);
        _bytesOut = factory.CreateCounter("bollard_http_response_body_bytes_total", "Response body bytes sent, by route template.", ["route"]);
        _inFlight = factory.CreateGauge("bollard_http_requests_in_flight", "Requests being handled now.");
        _authFailures = factory.CreateCounter("bollard_auth_failures_total", "Refused credentials, by reason (invalid_credentials, throttled, invalid_token, invalid_refresh_token).", ["reason"]);
        _refreshFailures = factory.CreateCounter("bollard_metrics_refresh_failures_total", "Scrape-time reads of state (jobs, storage, GC) that failed; the last values were served.");
        factory.CreateGauge("bollard_build_info", "Always 1; the label is the running version.", ["version"])
            .WithLabels(typeof(BollardMetrics).Assembly.GetName().Version?.ToString() ?? "unknown").Set(1);
        DotNetStats.Register(Registry); // process_* and dotnet_* (CPU, memory, GC, threads)
        // DotNetStats counts collections but not how long they stopped the process: with the workstation,
        // non-concurrent collector every gen0 pause stops every request, which is where a tail latency can go.
        var pauses = factory.CreateCounter("bollard_dotnet_gc_pause_seconds_total", "Time the .NET garbage collector has paused the process since it started.");
        Registry.AddBeforeCollectCallback(() => pauses.IncTo(GC.GetTotalPauseDuration().TotalSeconds));
        foreach (var source in _sources) source.Register(factory);
        Registry.AddBeforeCollectCallback(RefreshAsync);
    }

    public CollectorRegistry Registry { get; }

    public void Dispose() => _refreshLock.Dispose();

    public void RequestStarted() => _inFlight.Inc();

    public void RequestEnded(string route, string method, int status, double seconds, long bytesIn, long bytesOut)
    {
        _inFlight.Dec();
        // One lookup for the four series of this (route, method, status), instead of four label lookups per request.
        var key = new SeriesKey(route, method, (uint)status < StatusCodes.Length ? status : -1);
        if (!_series.TryGetValue(key, out var series)) series = _series.GetOrAdd(key, NewSeries);
        series.Requests.Inc();
        series.Duration.Observe(seconds);
        if (bytesIn > 0) series.BytesIn.Inc(bytesIn);
        if (bytesOut > 0) series.BytesOut.Inc(bytesOut);
    }

    private RequestSeries NewSeries(SeriesKey key) => new(
        _requests.WithLabels(key.Route, key.Method, key.Status >= 0 ? StatusCodes[key.Status] : "other"),
        _duration.WithLabels(key.Route, key.Method),
        _bytesIn.WithLabels(key.Route),
        _bytesOut.WithLabels(key.Route));

    // Label values are bounded (route templates, known methods, status codes below 600), so this cache is too.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<SeriesKey, RequestSeries> _series = new();

    private readonly record struct SeriesKey(string Route, string Method, int Status);

    private sealed record RequestSeries(Counter.Child Requests, Histogram.Child Duration, Counter.Child BytesIn, Counter.Child BytesOut);

    public void AuthFailed(string reason) => _authFailures.WithLabels(reason).Inc();

    /// <summary>Brings the scrape-time values up to date, at most once per <see cref="MetricsOptions.StoreReadInterval"/>.</summary>
    private async Task RefreshAsync(CancellationToken ct)
    {
        if (_time.GetUtcNow() - _refreshedAt < _options.StoreReadInterval) return;
        await _refreshLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_time.GetUtcNow() - _refreshedAt < _options.StoreReadInterval) return; // another scrape just did it
            foreach (var source in _sources)
            {
                try
                {
                    await source.RefreshAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _refreshFailures.Inc();
                    Log.RefreshFailed(_logger, source.GetType().Name, e);
                }
            }
            _refreshedAt = _time.GetUtcNow();
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "metrics: reading {Source} failed; the last values are served")]
        public static partial void RefreshFailed(ILogger logger, string source, Exception error);
    }
}
