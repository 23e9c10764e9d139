using Bollard.Core.Storage;

namespace Bollard.Core.Auth;

/// <summary>
/// Decides which rows the audit log stores, so that nobody (an anonymous caller least of all) can make it grow
/// without bound. Three rules, applied by <see cref="AuditRecorder"/>'s single writer (not thread-safe):
/// <list type="number">
/// <item>every field of an event is bounded (<see cref="Bound"/>: a longer value keeps its start and a marker
/// saying how much was cut);</item>
/// <item>identical pulls of one batch become one row with a count (as before), and identical refusals
/// (anything whose outcome is not <c>success</c>: same principal, client, action, outcome, repository,
/// reference and detail) within <see cref="AuthOptions.AuditCoalesceWindow"/> become one row with a count,
/// written when the window ends or at the next flush;</item>
/// <item>rows that are not a success of an authenticated principal count against a budget of
/// <see cref="AuthOptions.AuditMaxEventsPerSourcePerMinute"/> per source (the client address, IPv6 by /64);
/// what exceeds it is not stored one by one but counted in one <c>audit.suppressed</c> row per source and
/// minute.</item>
/// </list>
/// Every event is still accounted for: the sum of the stored counts equals the number of events recorded.
/// </summary>
public sealed class AuditShaper(AuthOptions options)
{
    public const int MaxPrincipal = 256;
    public const int MaxClient = 64;
    public const int MaxAction = 64;
    public const int MaxOutcome = 32;
    public const int MaxRepository = 256;
    public const int MaxReference = 512;
    public const int MaxDetail = 1024;
    public const string SuppressedAction = "audit.suppressed";
    public const string SuppressedOutcome = "suppressed";
    private const int MaxTracked = 10_000;
    private static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(1);

    private readonly Dictionary<Key, AuditEvent> _held = [];
    private readonly Dictionary<string, Budget> _sources = new(StringComparer.Ordinal);

    /// <summary>Whether rows are held back (coalescing refusals or counting suppressed events).</summary>
    public bool HasPending => _held.Count > 0 || _sources.Values.Any(b => b.Suppressed > 0);

    /// <summary>Bounds every field of one event.</summary>
    public static AuditEvent BoundFields(AuditEvent e) => e with
    {
        Principal = Bound(e.Principal, MaxPrincipal)!,
        ClientAddress = Bound(e.ClientAddress, MaxClient)!,
        Action = Bound(e.Action, MaxAction)!,
        Outcome = Bound(e.Outcome, MaxOutcome)!,
        Repository = Bound(e.Repository, MaxRepository),
        Reference = Bound(e.Reference, MaxReference),
        Detail = Bound(e.Detail, MaxDetail),
    };

    /// <summary>The value, or its first characters and <c>…[+N chars]</c> when it is longer than <paramref name="max"/>.</summary>
    public static string? Bound(string? value, int max)
    {
        if (value is null || value.Length <= max) return value;
        string marker = $"…[+{value.Length - max} chars]";
        int keep = Math.Max(0, max - marker.Length);
        // Never cut a surrogate pair in half.
        if (keep > 0 && char.IsHighSurrogate(value[keep - 1])) keep--;
        return string.Concat(value.AsSpan(0, keep), marker);
    }

    /// <summary>The rows to store for one batch of (already bounded) events at <paramref name="now"/>.</summary>
    /// <param name="flush">Also write what is held back (a query or shutdown waits for it).</param>
    public List<AuditEvent> Shape(IReadOnlyList<AuditEvent> batch, DateTimeOffset now, bool flush)
    {
        var output = new List<AuditEvent>(batch.Count);
        var pulls = new Dictionary<Key, int>();
        foreach (var e in batch)
        {
            if (e.Action == "pull" && e.Outcome == "success")
            {
                var key = Key.Of(e);
                if (pulls.TryGetValue(key, out int at)) output[at] = output[at] with { Count = output[at].Count + e.Count };
                else
                {
                    pulls[key] = output.Count;
                    output.Add(e);
                }
            }
            else if (e.Outcome != "success" && options.AuditCoalesceWindow > TimeSpan.Zero)
            {
                var key = Key.Of(e);
                if (_held.TryGetValue(key, out var held) && held.Time + options.AuditCoalesceWindow > e.Time)
                    _held[key] = held with { Count = held.Count + e.Count };
                else
                {
                    if (held is not null) output.Add(held);
                    if (_held.Count >= MaxTracked) ReleaseAll(output);
                    _held[key] = e;
                }
            }
            else output.Add(e);
        }
        // Held refusals whose window has ended (or all of them, on a flush) are written now.
        foreach (var (key, held) in _held.ToList())
            if (flush || held.Time + options.AuditCoalesceWindow <= now)
            {
                output.Add(held);
                _held.Remove(key);
            }
        var result = Limit(output, now);
        if (flush) Suppressed(result, now, all: true);
        result.Sort((a, b) => a.Time.CompareTo(b.Time));
        return result;
    }

    private void ReleaseAll(List<AuditEvent> output)
    {
        output.AddRange(_held.Values);
        _held.Clear();
    }

    private List<AuditEvent> Limit(List<AuditEvent> rows, DateTimeOffset now)
    {
        var result = new List<AuditEvent>(rows.Count);
        Suppressed(result, now, all: false);
        foreach (var row in rows)
        {
            bool exempt = row.Outcome == "success" && row.Principal.Length > 0;
            if (exempt) { result.Add(row); continue; }
            string source = AddressPrefix.Of(row.ClientAddress);
            if (!_sources.TryGetValue(source, out var budget))
            {
                if (_sources.Count >= MaxTracked) Suppressed(result, now, all: true, forget: true);
                _sources[source] = budget = new Budget(now);
            }
            if (budget.Start + RateWindow <= now)
            {
                Emit(result, source, budget, now);
                budget.Start = now;
                budget.Used = 0;
            }
            if (budget.Used < options.AuditMaxEventsPerSourcePerMinute)
            {
                budget.Used++;
                result.Add(row);
            }
            else budget.Suppressed += row.Count;
        }
        return result;
    }

    /// <summary>Writes the suppressed-events rows of sources whose minute ended (or of all, for a flush).</summary>
    private void Suppressed(List<AuditEvent> output, DateTimeOffset now, bool all, bool forget = false)
    {
        foreach (var (source, budget) in _sources.ToList())
        {
            bool ended = budget.Start + RateWindow <= now;
            if (all || ended) Emit(output, source, budget, now);
            if (forget || (ended && budget.Suppressed == 0)) _sources.Remove(source);
        }
    }

    private void Emit(List<AuditEvent> output, string source, Budget budget, DateTimeOffset now)
    {
        if (budget.Suppressed == 0) return;
        output.Add(new AuditEvent
        {
            Time = now, Principal = "", ClientAddress = source, Action = SuppressedAction, Outcome = SuppressedOutcome,
            Count = budget.Suppressed,
            Detail = $"{budget.Suppressed} events from this source not stored one by one: over Auth:AuditMaxEventsPerSourcePerMinute ({options.AuditMaxEventsPerSourcePerMinute})",
        });
        budget.Suppressed = 0;
    }

    private sealed class Budget(DateTimeOffset start)
    {
        public DateTimeOffset Start { get; set; } = start;
        public int Used { get; set; }
        public int Suppressed { get; set; }
    }

    private readonly record struct Key(string Principal, string Client, string Action, string Outcome, string? Repository, string? Reference, string? Detail)
    {
        public static Key Of(AuditEvent e) => new(e.Principal, e.ClientAddress, e.Action, e.Outcome, e.Repository, e.Reference, e.Detail);
    }
}
