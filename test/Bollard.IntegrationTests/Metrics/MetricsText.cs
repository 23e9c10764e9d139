using System.Globalization;

namespace Bollard.IntegrationTests.Metrics;

/// <summary>Reads one sample out of Prometheus' text format, failing with the related lines when it is not there.</summary>
internal static class MetricsText
{
    /// <param name="series">The name with its labels exactly as exported, e.g. <c>bollard_gc_last_removed{object="blobs"}</c>.</param>
    /// <param name="context">Prefix of the lines to show when the sample is missing.</param>
    public static double Value(string text, string series, string context = "bollard_")
    {
        var line = text.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no sample {series} in:\n{string.Join('\n', text.Split('\n').Where(l => l.StartsWith(context, StringComparison.Ordinal)))}");
        return double.Parse(line![(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }
}
