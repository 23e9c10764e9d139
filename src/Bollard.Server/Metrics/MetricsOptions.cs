using System.ComponentModel.DataAnnotations;

namespace Bollard.Server.Metrics;

/// <summary>The <c>Metrics</c> configuration section: the Prometheus endpoint at <c>/metrics</c>.</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Serve <c>/metrics</c> and count requests. Off: no endpoint, no per-request work.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// When set, a scrape must send <c>Authorization: Bearer &lt;this&gt;</c> (Prometheus: <c>authorization.credentials</c>).
    /// Unset: <c>/metrics</c> is open to anyone who can reach the port, like most exporters.
    /// </summary>
    [MinLength(16, ErrorMessage = "Metrics:BearerToken must be at least 16 characters")]
    public string? BearerToken { get; set; }

    /// <summary>How long values read from the database at scrape time (jobs, storage, GC) are reused, so a fast or
    /// repeated scraper costs the database one read per interval.</summary>
    /// <summary>Most namespaces that get their own <c>bollard_storage_namespace_*</c> series (the largest); the rest are
    /// summed into <c>namespace="_other"</c>, so a registry of many top-level repositories does not flood Prometheus.</summary>
    [Range(0, 100000)]
    public int MaxNamespaceSeries { get; set; } = 200;

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan StoreReadInterval { get; set; } = TimeSpan.FromSeconds(5);
}
