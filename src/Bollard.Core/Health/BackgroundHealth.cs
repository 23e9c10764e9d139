using System.Collections.Concurrent;

namespace Bollard.Core.Health;

/// <summary>The state of one background part as last reported.</summary>
/// <param name="Since">When the part entered its current state (first failure of a run of failures, or recovery).</param>
public sealed record ComponentStatus(string Component, bool Healthy, string? Error, DateTimeOffset Since, int ConsecutiveFailures);

/// <summary>
/// Where background parts (audit writer, event dispatcher, job runner, sweeps) say how they are doing, so that a
/// failure is visible in <c>/readyz</c> instead of stopping the host. Thread-safe; a report is one dictionary write.
/// A part that never reported is not listed.
/// </summary>
public sealed class BackgroundHealth(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ComponentStatus> _components = new(StringComparer.Ordinal);

    /// <summary>The part did its work; clears an earlier failure.</summary>
    public void Healthy(string component)
    {
        if (_components.TryGetValue(component, out var s) && s.Healthy) return;
        _components[component] = new ComponentStatus(component, true, null, time.GetUtcNow(), 0);
    }

    /// <summary>The part failed and will retry; <paramref name="error"/> is shown to operators (no secrets in it).</summary>
    public void Failing(string component, string error) =>
        _components.AddOrUpdate(component,
            c => new ComponentStatus(c, false, error, time.GetUtcNow(), 1),
            (_, s) => s.Healthy
                ? new ComponentStatus(component, false, error, time.GetUtcNow(), 1)
                : s with { Error = error, ConsecutiveFailures = s.ConsecutiveFailures + 1 });

    /// <summary>Every part that has reported, by name.</summary>
    public IReadOnlyList<ComponentStatus> Snapshot() => _components.Values.OrderBy(s => s.Component, StringComparer.Ordinal).ToList();

    public bool AllHealthy => _components.Values.All(s => s.Healthy);
}
