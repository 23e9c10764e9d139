using Bollard.Core.Usage;
using Bollard.Core.Usage.Quotas;
using Prometheus;

namespace Bollard.Server.Metrics;

/// <summary>
/// Storage use per namespace (first path component) and per quota, read from the usage counters the metadata keeps
/// (never by walking the blob folder). The namespace label is bounded: the <see cref="MetricsOptions.MaxNamespaceSeries"/>
/// largest namespaces get their own series, the rest are summed into <c>namespace="_other"</c>.
/// </summary>
public sealed class UsageMetrics(IUsageStore usage, IQuotaStore quotas, MetricsOptions options) : IMetricsSource
{
    public const string Other = "_other";

    private Gauge? _bytes;
    private Gauge? _manifests;
    private Gauge? _blobs;
    private Gauge? _registry;
    private Gauge? _quotaLimit;
    private Gauge? _quotaUsed;
    private HashSet<string> _namespaces = new(StringComparer.Ordinal);
    private HashSet<string> _patterns = new(StringComparer.Ordinal);

    public void Register(IMetricFactory factory)
    {
        _bytes = factory.CreateGauge("bollard_storage_namespace_bytes", "Storage a namespace holds: total (its distinct blobs plus manifests, shared layers included) and unique (what deleting it would free).", ["namespace", "kind"]);
        _manifests = factory.CreateGauge("bollard_storage_namespace_manifests", "Manifests the namespace's repositories store.", ["namespace"]);
        _blobs = factory.CreateGauge("bollard_storage_namespace_blobs", "Distinct blobs the namespace's repositories link.", ["namespace"]);
        _registry = factory.CreateGauge("bollard_storage_bytes", "Storage the whole registry holds (distinct blobs plus manifests).");
        _quotaLimit = factory.CreateGauge("bollard_quota_limit_bytes", "The limit of each quota, by namespace pattern.", ["pattern"]);
        _quotaUsed = factory.CreateGauge("bollard_quota_used_bytes", "What counts against each quota now, by namespace pattern.", ["pattern"]);
    }

    public async Task RefreshAsync(CancellationToken ct)
    {
        _registry!.Set((await usage.GetRegistryAsync(ct).ConfigureAwait(false)).TotalBytes);

        var all = (await usage.ListNamespacesAsync(ct).ConfigureAwait(false)).OrderByDescending(n => n.Usage.TotalBytes).ThenBy(n => n.Namespace, StringComparer.Ordinal).ToList();
        var shown = all.Take(options.MaxNamespaceSeries).Select(n => (n.Namespace, n.Usage)).ToList();
        var rest = all.Skip(options.MaxNamespaceSeries).ToList();
        if (rest.Count > 0)
            shown.Add((Other, new StorageUsage(rest.Sum(n => n.Usage.TotalBytes), rest.Sum(n => n.Usage.UniqueBytes), rest.Sum(n => n.Usage.ManifestBytes),
                rest.Sum(n => n.Usage.Manifests), rest.Sum(n => n.Usage.Blobs))));
        var now = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, u) in shown)
        {
            now.Add(name);
            _bytes!.WithLabels(name, "total").Set(u.TotalBytes);
            _bytes.WithLabels(name, "unique").Set(u.UniqueBytes);
            _manifests!.WithLabels(name).Set(u.Manifests);
            _blobs!.WithLabels(name).Set(u.Blobs);
        }
        foreach (string gone in _namespaces.Where(n => !now.Contains(n)))
        {
            // A deleted namespace's series disappear instead of reporting its last size forever.
            _bytes!.RemoveLabelled(gone, "total");
            _bytes.RemoveLabelled(gone, "unique");
            _manifests!.RemoveLabelled(gone);
            _blobs!.RemoveLabelled(gone);
        }
        _namespaces = now;

        var current = new HashSet<string>(StringComparer.Ordinal);
        foreach (var quota in await quotas.ListAsync(ct).ConfigureAwait(false))
        {
            string pattern = quota.Pattern.Value;
            current.Add(pattern);
            _quotaLimit!.WithLabels(pattern).Set(quota.LimitBytes);
            _quotaUsed!.WithLabels(pattern).Set(quota.Usage.TotalBytes);
        }
        foreach (string gone in _patterns.Where(p => !current.Contains(p)))
        {
            _quotaLimit!.RemoveLabelled(gone);
            _quotaUsed!.RemoveLabelled(gone);
        }
        _patterns = current;
    }
}
