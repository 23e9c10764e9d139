using System.Net;
using Bollard.IntegrationTests.Gc;
using Bollard.IntegrationTests.Support;

namespace Bollard.IntegrationTests.Metrics;

/// <summary>What a GC run freed shows in <c>/metrics</c> as the API reports it (bytes and counts of the last real run).</summary>
public sealed class GcMetricsTests
{
    [Fact]
    public async Task LastRealRun_FreedBytesAndCounts_AreInMetrics_DryRunsAreNot()
    {
        var settings = GcApi.Settings();
        settings["Metrics:StoreReadInterval"] = "0s";
        await using var server = await BollardServer.StartAsync(settings);
        string repo = "gcmetrics/app";
        var (_, digest) = await server.Client.PushImageAsync(repo, "v1", layers: 3, layerSize: 10_000);
        using (var delete = await server.Client.DeleteAsync($"/v2/{repo}/manifests/{digest}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

        string before = await server.Client.GetStringAsync("/metrics");
        Assert.Equal(0, MetricsText.Value(before, "bollard_gc_running"));
        Assert.Equal(0, MetricsText.Value(before, "bollard_gc_last_finished_timestamp_seconds"));

        var dry = await GcApi.RunAsync(server.Client, dryRun: true);
        Assert.NotEmpty(GcApi.Removed(dry));
        Assert.Equal(0, MetricsText.Value(await server.Client.GetStringAsync("/metrics"), "bollard_gc_last_freed_bytes")); // a dry run frees nothing

        var run = await GcApi.RunAsync(server.Client);
        long freed = run.GetProperty("totals").GetProperty("bytesFreed").GetInt64();
        long blobs = run.GetProperty("totals").GetProperty("blobs").GetInt64();
        Assert.True(freed > 30_000, run.ToString()); // three 10 kB layers and the config

        string after = await server.Client.GetStringAsync("/metrics");
        Assert.Equal(freed, MetricsText.Value(after, "bollard_gc_last_freed_bytes"));
        Assert.Equal(blobs, MetricsText.Value(after, "bollard_gc_last_removed{object=\"blobs\"}"));
        Assert.True(MetricsText.Value(after, "bollard_gc_last_finished_timestamp_seconds") > 1.7e9);
        Assert.Equal(0, MetricsText.Value(after, "bollard_gc_running"));
        Assert.True(MetricsText.Value(after, "bollard_jobs{kind=\"gc\",state=\"succeeded\"}") >= 2);
    }
}
