using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bollard.IntegrationTests.Support;

namespace Bollard.IntegrationTests.Metrics;

/// <summary>Storage per namespace and per quota in <c>/metrics</c> equals what <c>/api/v1/usage</c> and <c>/api/v1/quotas</c> say, with a bounded namespace label.</summary>
public sealed class UsageMetricsTests
{
    [Fact]
    public async Task NamespaceStorage_AndQuotas_MatchTheApi_AndSmallNamespacesAreSummedIntoOther()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?>
        {
            ["Metrics:StoreReadInterval"] = "0s",
            ["Metrics:MaxNamespaceSeries"] = "1",
        });
        await server.Client.PushImageAsync("big/app", "v1", layers: 3, layerSize: 50_000);
        await server.Client.PushImageAsync("small/app", "v1", layers: 1, layerSize: 1_000);
        await server.Client.PushImageAsync("tiny/app", "v1", layers: 1, layerSize: 500);
        using (var set = await server.Client.PutAsJsonAsync("/api/v1/quotas/big/**", new { limit = "10MiB" }))
            Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync());

        var usage = JsonDocument.Parse(await server.Client.GetStringAsync("/api/v1/usage")).RootElement;
        long Namespace(string name, string field) => usage.GetProperty("namespaces").EnumerateArray()
            .Single(n => n.GetProperty("namespace").GetString() == name).GetProperty(field).GetInt64();

        string text = await server.Client.GetStringAsync("/metrics");
        Assert.Equal(Namespace("big", "totalBytes"), MetricsText.Value(text, "bollard_storage_namespace_bytes{namespace=\"big\",kind=\"total\"}"));
        Assert.Equal(Namespace("big", "uniqueBytes"), MetricsText.Value(text, "bollard_storage_namespace_bytes{namespace=\"big\",kind=\"unique\"}"));
        Assert.Equal(Namespace("big", "manifests"), MetricsText.Value(text, "bollard_storage_namespace_manifests{namespace=\"big\"}"));
        // Only the largest namespace has its own series; the others are summed.
        Assert.Equal(Namespace("small", "totalBytes") + Namespace("tiny", "totalBytes"), MetricsText.Value(text, "bollard_storage_namespace_bytes{namespace=\"_other\",kind=\"total\"}"));
        Assert.DoesNotContain("namespace=\"small\"", text, StringComparison.Ordinal);
        Assert.Equal(usage.GetProperty("registry").GetProperty("totalBytes").GetInt64(), MetricsText.Value(text, "bollard_storage_bytes"));
        Assert.Equal(10 * 1024 * 1024, MetricsText.Value(text, "bollard_quota_limit_bytes{pattern=\"big/**\"}"));
        Assert.Equal(Namespace("big", "totalBytes"), MetricsText.Value(text, "bollard_quota_used_bytes{pattern=\"big/**\"}"));

        // A removed quota's series go away.
        using (var removed = await server.Client.DeleteAsync("/api/v1/quotas/big/**"))
            Assert.True(removed.StatusCode is HttpStatusCode.OK or HttpStatusCode.NoContent, await removed.Content.ReadAsStringAsync());
        Assert.DoesNotContain("bollard_quota_limit_bytes{", await server.Client.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }
}
