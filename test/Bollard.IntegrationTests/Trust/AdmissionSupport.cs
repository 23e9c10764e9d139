using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.Core.Oci;
using Bollard.IntegrationTests.Support;
using Bollard.Trust.Policy;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Trust;

/// <summary>
/// A policy engine whose answers the test sets per digest (denied with violations, warned, or allowed), standing in
/// for the trust engine in the server, so admission's HTTP surface is tested with every kind of answer.
/// </summary>
internal sealed class ScriptedDecisions : ITrustDecisions
{
    public ConcurrentDictionary<string, string> Denied { get; } = new();
    public ConcurrentDictionary<string, string> Warned { get; } = new();
    public int Asked;

    public ValueTask<PolicyDecision> DecideAsync(RepositoryName repository, Digest digest, DecisionPoint point, CancellationToken ct)
    {
        Interlocked.Increment(ref Asked);
        string d = digest.ToString();
        bool denied = Denied.TryGetValue(d, out string? why), warned = Warned.TryGetValue(d, out string? warn);
        return ValueTask.FromResult(new PolicyDecision
        {
            Allowed = !denied,
            Mode = warned && !denied ? PolicyMode.Warn : PolicyMode.Enforce,
            Policy = "prod",
            PolicyVersion = 1,
            Repository = repository.Value,
            Digest = d,
            Violations = denied ? [why!] : warned ? [warn!] : [],
            EvaluatedAt = DateTimeOffset.UtcNow,
        });
    }
}

internal static class AdmissionSupport
{
    /// <summary>A server with admission open to the loopback test (no client certificate) and the scripted engine.</summary>
    public static Task<BollardServer> StartAsync(ScriptedDecisions decisions, ITestOutputHelper output, Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?> { ["Admission:Authentication"] = "None" };
        foreach (var (k, v) in settings ?? []) all[k] = v;
        return BollardServer.StartAsync(all, output: output, services: s => s.AddSingleton<ITrustDecisions>(decisions));
    }

    public static string Wrap(JsonNode obj, string operation = "CREATE", string version = "admission.k8s.io/v1", JsonNode? oldObject = null, string? uid = null)
    {
        string apiVersion = (string)obj["apiVersion"]!, kind = (string)obj["kind"]!;
        int slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var review = new JsonObject
        {
            ["apiVersion"] = version,
            ["kind"] = "AdmissionReview",
            ["request"] = new JsonObject
            {
                ["uid"] = uid ?? Guid.NewGuid().ToString(),
                ["kind"] = new JsonObject { ["group"] = slash < 0 ? "" : apiVersion[..slash], ["version"] = apiVersion[(slash + 1)..], ["kind"] = kind },
                ["resource"] = new JsonObject { ["group"] = slash < 0 ? "" : apiVersion[..slash], ["version"] = apiVersion[(slash + 1)..], ["resource"] = kind.ToLowerInvariant() + "s" },
                ["requestKind"] = new JsonObject { ["group"] = slash < 0 ? "" : apiVersion[..slash], ["version"] = apiVersion[(slash + 1)..], ["kind"] = kind },
                ["name"] = (string?)obj["metadata"]?["name"],
                ["namespace"] = "prod",
                ["operation"] = operation,
                ["userInfo"] = new JsonObject { ["username"] = "kubernetes-admin", ["groups"] = new JsonArray("system:masters", "system:authenticated") },
                ["object"] = obj.DeepClone(),
                ["oldObject"] = oldObject?.DeepClone(),
                ["dryRun"] = false,
                ["options"] = new JsonObject { ["apiVersion"] = "meta.k8s.io/v1", ["kind"] = operation == "UPDATE" ? "UpdateOptions" : "CreateOptions" },
            },
        };
        return review.ToJsonString();
    }

    public static async Task<(HttpStatusCode Status, JsonNode? Body)> PostAsync(this HttpClient client, string path, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(path, content);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>Applies the response's base64 JSON Patch (replace operations) to <paramref name="obj"/>.</summary>
    public static JsonNode ApplyPatch(JsonNode obj, JsonNode response)
    {
        var result = obj.DeepClone();
        if (response["response"]?["patch"] is not { } patch) return result;
        Assert.Equal("JSONPatch", (string?)response["response"]!["patchType"]);
        foreach (var op in JsonNode.Parse(Convert.FromBase64String((string)patch!))!.AsArray())
        {
            Assert.Equal("replace", (string?)op!["op"]);
            string[] steps = ((string)op["path"]!).Split('/')[1..];
            JsonNode node = result;
            foreach (string step in steps[..^1]) node = node is JsonArray a ? a[int.Parse(step, System.Globalization.CultureInfo.InvariantCulture)]! : node[step]!;
            Assert.NotNull(node[steps[^1]]);
            node[steps[^1]] = (string?)op["value"];
        }
        return result;
    }
}
