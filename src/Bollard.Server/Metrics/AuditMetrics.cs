using Bollard.Core.Auth;
using Prometheus;

namespace Bollard.Server.Metrics;

/// <summary><c>bollard_audit_queue_depth</c>: audit records waiting to be stored (grows while the database is unwritable).</summary>
public sealed class AuditMetrics(AuditRecorder audit) : IMetricsSource
{
    private Gauge? _depth;
    private Gauge? _dropped;

    public void Register(IMetricFactory factory)
    {
        _depth = factory.CreateGauge("bollard_audit_queue_depth", "Audit records waiting to be written to the audit log.");
        _dropped = factory.CreateGauge("bollard_audit_dropped", "Audit records refused since the last stored batch because the queue was full.");
    }

    public Task RefreshAsync(CancellationToken ct)
    {
        _depth!.Set(audit.Queued);
        _dropped!.Set(audit.Dropped);
        return Task.CompletedTask;
    }
}
