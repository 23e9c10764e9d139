using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Support;

/// <summary>The webhook management API as the tests use it, and bounded polling.</summary>
public static class WebhookSupport
{
    /// <summary>Settings that let webhooks reach a loopback receiver and retry quickly.</summary>
    public static Dictionary<string, string?> FastLoopback(int disableAfterFailures = 1000) => new()
    {
        ["Webhooks:AllowedNetworks:0"] = "127.0.0.1/32",
        ["Webhooks:RetryBase"] = "00:00:00.050",
        ["Webhooks:RetryMax"] = "00:00:00.300",
        ["Webhooks:PollInterval"] = "00:00:00.100",
        ["Webhooks:RequestTimeout"] = "00:00:05",
        ["Webhooks:DisableAfterFailures"] = disableAfterFailures.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Webhooks:DisableAfter"] = "00:00:00",
    };

    /// <summary>The same as environment variables for a <see cref="BollardProcess"/>.</summary>
    public static Dictionary<string, string> AsEnvironment(Dictionary<string, string?> settings) =>
        settings.ToDictionary(kv => "BOLLARD__" + kv.Key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant(), kv => kv.Value!);

    public static async Task<HttpResponseMessage> PostWebhookAsync(HttpClient api, string url, string ns, string[]? events = null, string? format = null) =>
        await api.PostAsJsonAsync("/api/v1/webhooks", new { url, @namespace = ns, events, format });

    /// <summary>Creates a webhook (asserting 201); returns its id and the secret shown once.</summary>
    public static async Task<(long Id, string Secret)> CreateAsync(HttpClient api, Uri url, string ns, string[]? events = null, string? format = null)
    {
        using var response = await PostWebhookAsync(api, url.ToString(), ns, events, format);
        var body = await AccessServer.ExpectAsync(response, HttpStatusCode.Created, $"create webhook for {ns}");
        return (body["webhook"]!["id"]!.GetValue<long>(), body["secret"]!.GetValue<string>());
    }

    public static async Task<JsonNode> GetAsync(HttpClient api, long id)
    {
        using var response = await api.GetAsync($"/api/v1/webhooks/{id}");
        return await AccessServer.ExpectAsync(response, HttpStatusCode.OK, $"webhook {id}");
    }

    /// <summary><c>{"deliveries":[...],"attempts":[...]}</c>, newest first.</summary>
    public static async Task<JsonNode> DeliveriesAsync(HttpClient api, long id)
    {
        using var response = await api.GetAsync($"/api/v1/webhooks/{id}/deliveries?limit=100");
        return await AccessServer.ExpectAsync(response, HttpStatusCode.OK, $"deliveries of webhook {id}");
    }

    public static IEnumerable<JsonNode> Attempts(JsonNode deliveries) => deliveries["attempts"]!.AsArray().Select(a => a!);

    /// <summary>Bounded polling: <paramref name="read"/> until <paramref name="done"/>, at most 30 s (no timing is asserted).</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, Func<string>? context = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var value = await read();
        while (!done(value))
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"waited 30 s for {what}; last seen: {value}\n{context?.Invoke()}");
            await Task.Delay(50);
            value = await read();
        }
        return value;
    }
}
