using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Bollard.Benchmarks;

internal static partial class WrkOutput
{
    /// <summary>Requests/s, p50 and p99 (ms) and error counts from <c>wrk --latency</c>.</summary>
    public static string Parse(string text)
    {
        var rps = RequestsPerSecond().Match(text);
        if (!rps.Success) throw new BenchException("no 'Requests/sec:' line in the wrk output");
        double p50 = Percentile(text, "50"), p99 = Percentile(text, "99");
        var non2xx = Non2xx().Match(text);
        var socket = SocketErrors().Match(text);
        int errors = socket.Success ? socket.Groups.Cast<Group>().Skip(1).Sum(g => int.Parse(g.Value, CultureInfo.InvariantCulture)) : 0;
        var requests = Requests().Match(text);
        return FormattableString.Invariant(
            $"rps={double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture):F0} p50ms={p50:F3} p99ms={p99:F3} requests={(requests.Success ? requests.Groups[1].Value : "?")} non2xx={(non2xx.Success ? non2xx.Groups[1].Value : "0")} socket_errors={errors}");
    }

    private static double Percentile(string text, string p)
    {
        var m = Regex.Match(text, @"^\s*" + p + @"%\s+([0-9.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline);
        if (!m.Success) throw new BenchException($"no {p}% line in the wrk output (run wrk with --latency)");
        double v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => v / 1000, "ms" => v, "s" => v * 1000, _ => v * 60000 };
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex Requests();
}

/// <summary>
/// Renders the results file of bench/run.sh (tab-separated: scenario, metric, unit, better, server, iteration,
/// value) as markdown: the median and min-max range per server, the ratio Bollard/docker-registry of the medians,
/// the range of the per-round ratios (both servers measured in the same round, one after the other) and which
/// server is ahead. Rows of the server "empty-aspnet" (an empty ASP.NET Core app) get their own column.
/// </summary>
internal static class Summary
{
    public static string Render(string path)
    {
        var rows = File.ReadAllLines(path)
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .Where(f => f.Length == 7 && f[6].Length > 0)
            .Select(f => new Row(f[0], f[1], f[2], f[3], f[4], int.Parse(f[5], CultureInfo.InvariantCulture), double.Parse(f[6], CultureInfo.InvariantCulture)))
            .ToList();
        var sb = new StringBuilder();
        var machine = rows.Where(r => r.Server == "machine").ToList();
        if (machine.Count > 0)
        {
            sb.AppendLine("| machine limit or condition | median (min–max) | unit | rounds |");
            sb.AppendLine("|---|---:|---|---:|");
            foreach (var g in machine.GroupBy(r => (r.Scenario, r.Metric, r.Unit)))
            {
                var list = g.ToList();
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {g.Key.Scenario} | {Format(Median(list))}{Range(list)} | {g.Key.Unit} | {list.Count} |");
            }
            sb.AppendLine();
        }
        bool empty = rows.Any(r => r.Server == "empty-aspnet");
        sb.AppendLine(empty
            ? "| scenario | metric | Bollard | docker-registry | empty ASP.NET Core app | Bollard/docker-registry (medians) | Bollard/docker-registry per round (min–max) | better | rounds |"
            : "| scenario | metric | Bollard | docker-registry | Bollard/docker-registry (medians) | Bollard/docker-registry per round (min–max) | better | rounds |");
        sb.AppendLine(empty ? "|---|---|---:|---:|---:|---:|---:|---|---:|" : "|---|---|---:|---:|---:|---:|---|---:|");
        foreach (var g in rows.Where(r => r.Server != "machine").GroupBy(r => (r.Scenario, r.Metric, r.Unit, r.Better)))
        {
            var b = g.Where(r => r.Server == "bollard").ToList();
            var d = g.Where(r => r.Server == "registry").ToList();
            var e = g.Where(r => r.Server == "empty-aspnet").ToList();
            double? mb = b.Count > 0 ? Median(b) : null, md = d.Count > 0 ? Median(d) : null;
            string ratio = mb is { } x && md is { } y && y != 0 ? Ratio(x / y) : "-";
            // paired by round: the spread of the ratio itself, which a busy machine moves less than either figure
            var perRound = b.Join(d, r => r.Iteration, r => r.Iteration, (rb, rd) => rd.Value != 0 ? rb.Value / rd.Value : double.NaN)
                .Where(v => !double.IsNaN(v)).ToList();
            string ratioRange = perRound.Count > 1 ? $"{Ratio(perRound.Min())}–{Ratio(perRound.Max())}" : "-";
            string verdict = mb is { } bx && md is { } dx
                ? (g.Key.Better == "higher" ? bx >= dx : bx <= dx) ? "Bollard" : "docker-registry"
                : "-";
            string emptyColumn = empty ? $" {Format(e.Count > 0 ? Median(e) : null)}{Range(e)} |" : "";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {g.Key.Scenario} | {g.Key.Metric} ({g.Key.Unit}, {g.Key.Better} is better) | {Format(mb)}{Range(b)} | {Format(md)}{Range(d)} |{emptyColumn} {ratio} | {ratioRange} | {verdict} | {Math.Max(b.Count, Math.Max(d.Count, e.Count))} |");
        }
        return sb.ToString();
    }

    private static string Ratio(double v) => v.ToString("F2", CultureInfo.InvariantCulture) + "x";

    private static double Median(IEnumerable<Row> rows)
    {
        var v = rows.Select(r => r.Value).Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>" (min–max)" when there is more than one run, so the spread of a noisy machine shows.</summary>
    private static string Range(List<Row> rows) =>
        rows.Count > 1 ? $" ({Format(rows.Min(r => r.Value))}–{Format(rows.Max(r => r.Value))})" : "";

    private static string Format(double? v) => v switch
    {
        null => "-",
        >= 100 => v.Value.ToString("F0", CultureInfo.InvariantCulture),
        >= 10 => v.Value.ToString("F1", CultureInfo.InvariantCulture),
        _ => v.Value.ToString("F2", CultureInfo.InvariantCulture),
    };

    private sealed record Row(string Scenario, string Metric, string Unit, string Better, string Server, int Iteration, double Value);
}
