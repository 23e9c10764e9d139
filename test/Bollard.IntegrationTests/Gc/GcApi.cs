using System.Net;
using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.IntegrationTests.Gc;

/// <summary>Starting a GC run over <c>/api/v1/gc</c> and waiting for it (bounded polling, no timed assertion).</summary>
internal static class GcApi
{
    /// <summary>Settings for a server whose GC collects at once and whose job runner polls often.</summary>
    public static Dictionary<string, string?> Settings(string grace = "0") => new()
    {
        ["Gc:GracePeriod"] = grace,
        ["Gc:Interval"] = "0",
        ["Jobs:PollInterval"] = "50ms",
        ["Jobs:LeaseDuration"] = "3s",
        ["Jobs:RetryBase"] = "50ms",
    };

    public static async Task<JsonElement> StartAsync(HttpClient client, bool dryRun = false)
    {
        using var response = await client.PostAsync($"/api/v1/gc{(dryRun ? "?dryRun=true" : "")}", null);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK, $"{response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> GetAsync(HttpClient client, long id)
    {
        using var response = await client.GetAsync($"/api/v1/gc/{id}");
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Waits (bounded) until the run ended; returns it with its items.</summary>
    public static async Task<JsonElement> WaitAsync(HttpClient client, long id)
    {
        for (int i = 0; i < 2400; i++)
        {
            var run = await GetAsync(client, id);
            string state = run.GetProperty("state").GetString()!;
            if (state is "Succeeded" or "Failed" or "Cancelled") return run;
            await Task.Delay(25);
        }
        Assert.Fail($"GC run {id} did not end");
        return default;
    }

    /// <summary>Runs GC to the end and asserts it succeeded.</summary>
    public static async Task<JsonElement> RunAsync(HttpClient client, bool dryRun = false)
    {
        var started = await StartAsync(client, dryRun);
        var run = await WaitAsync(client, started.GetProperty("id").GetInt64());
        Assert.True(run.GetProperty("state").GetString() == "Succeeded", run.ToString());
        return run;
    }

    /// <summary>The run's items as "kind repository digest" strings (skipped ones left out).</summary>
    public static SortedSet<string> Removed(JsonElement run) =>
        new(run.GetProperty("items").EnumerateArray()
            .Where(i => i.GetProperty("kind").GetString() != "skipped")
            .Select(i => $"{i.GetProperty("kind").GetString()} {(i.TryGetProperty("repository", out var r) && r.ValueKind == System.Text.Json.JsonValueKind.String ? r.GetString() : "-")} {i.GetProperty("digest").GetString()}"),
            StringComparer.Ordinal);

    public static async Task<bool> BlobStoredAsync(BollardServer server, string digest) =>
        await server.Services.GetRequiredService<IBlobStore>().StatAsync(Digest.Parse(digest), default) is not null;
}
