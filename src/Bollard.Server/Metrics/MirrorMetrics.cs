using Bollard.Core.Mirror;
using Prometheus;

namespace Bollard.Server.Metrics;

/// <summary>
/// The pull-through mirror (issue 10) as Prometheus sees it, read at scrape time from <see cref="MirrorCounters"/>:
/// hits and misses by kind (manifest, blob), tag revalidations, manifests served stale, upstream errors by kind
/// (<see cref="UpstreamFailure"/>), bytes fetched from each upstream and blob bytes served from the cache instead.
/// The <c>upstream</c> label is an upstream's configured name, so its values are bounded by the configuration.
/// The counters live in this process (they start at 0 with it, as Prometheus expects of a counter).
/// </summary>
public sealed class MirrorMetrics(MirrorCounters counters) : IMetricsSource
{
    private static readonly Dictionary<UpstreamFailure, string> FailureLabels = Enum.GetValues<UpstreamFailure>()
        .ToDictionary(f => f, f => string.Concat(f.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString())));

    private Counter? _hits, _misses, _revalidations, _stale, _errors, _fetched, _saved;

    public void Register(IMetricFactory factory)
    {
        _hits = factory.CreateCounter("bollard_mirror_hits_total", "Mirror requests served from the cache without asking the upstream, by upstream and kind (manifest, blob).", ["upstream", "kind"]);
        _misses = factory.CreateCounter("bollard_mirror_misses_total", "Mirror requests that fetched from the upstream, by upstream and kind (manifest, blob).", ["upstream", "kind"]);
        _revalidations = factory.CreateCounter("bollard_mirror_revalidations_total", "Mirrored tags asked about upstream after their TTL, by upstream.", ["upstream"]);
        _stale = factory.CreateCounter("bollard_mirror_stale_served_total", "Mirrored manifests served from the cache because the upstream failed or dropped the tag, by upstream.", ["upstream"]);
        _errors = factory.CreateCounter("bollard_mirror_upstream_errors_total",
            "Failed upstream requests, by upstream and kind (unreachable, timeout, rate_limited, unauthorized, server_error, invalid, forbidden).", ["upstream", "kind"]);
        _fetched = factory.CreateCounter("bollard_mirror_fetched_bytes_total", "Bytes fetched from the upstream, by upstream.", ["upstream"]);
        _saved = factory.CreateCounter("bollard_mirror_saved_bytes_total", "Blob bytes served from the mirror's cache instead of the upstream, by upstream.", ["upstream"]);
    }

    public Task RefreshAsync(CancellationToken ct)
    {
        foreach (var (name, upstream) in counters.All)
        {
            _hits!.WithLabels(name, "manifest").IncTo(upstream.ManifestHits);
            _hits.WithLabels(name, "blob").IncTo(upstream.BlobHits);
            _misses!.WithLabels(name, "manifest").IncTo(upstream.ManifestMisses);
            _misses.WithLabels(name, "blob").IncTo(upstream.BlobMisses);
            _revalidations!.WithLabels(name).IncTo(upstream.Revalidations);
            _stale!.WithLabels(name).IncTo(upstream.StaleServed);
            _fetched!.WithLabels(name).IncTo(upstream.BytesFetched);
            _saved!.WithLabels(name).IncTo(upstream.BytesSaved);
            foreach (var (failure, count) in upstream.Errors) _errors!.WithLabels(name, FailureLabels[failure]).IncTo(count);
        }
        return Task.CompletedTask;
    }
}
