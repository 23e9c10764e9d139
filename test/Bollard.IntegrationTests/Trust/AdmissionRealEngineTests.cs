using System.Net;
using System.Text.Json.Nodes;
using Bollard.IntegrationTests.Support;
using Bollard.Trust.Keys;
using static Bollard.IntegrationTests.Trust.PolicyTestSupport;

namespace Bollard.IntegrationTests.Trust;

/// <summary>
/// Admission with the real trust engine (no scripted decisions): a Deployment made by <c>kubectl create deployment</c>
/// with two containers of an enforcing namespace is denied with the missing signer named, admitted once both images
/// are signed by the policy's key, and denied again after the policy starts requiring a second signer.
/// </summary>
public sealed class AdmissionRealEngineTests
{
    private static async Task<JsonNode> DeploymentAsync(string name, params string[] images)
    {
        ExternalTool.Require("kubectl");
        var result = await ExternalTool.RunAsync("kubectl",
            ["create", "deployment", name, .. images.Select(i => "--image=" + i), "--dry-run=client", "-o", "json"],
            environment: new Dictionary<string, string> { ["KUBECONFIG"] = "/dev/null" });
        Assert.True(result.ExitCode == 0, result.Describe());
        return JsonNode.Parse(result.Stdout)!;
    }

    /// <summary>Posts until the answer's allowed is <paramref name="allowed"/> (cache invalidation follows the event outbox, a moment behind).</summary>
    private static async Task<JsonNode> ValidateUntilAsync(HttpClient client, string review, bool allowed)
    {
        JsonNode? body = null;
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(20); await Task.Delay(100))
        {
            (var status, body) = await client.PostAsync("/admission/validate", review);
            Assert.Equal(HttpStatusCode.OK, status);
            if ((bool)body!["response"]!["allowed"]! == allowed) return body;
        }
        Assert.Fail($"admission never answered allowed={allowed}: {body?.ToJsonString()}");
        return body!;
    }

    [Fact]
    public async Task A_kubectl_deployment_is_denied_until_every_image_is_signed_and_a_policy_change_shows_in_the_next_decision()
    {
        await using var access = await AccessServer.StartAsync(new Dictionary<string, string?> { ["Admission:Authentication"] = "None" });
        var registry = access.Registry(access.Admin);
        var dev = LocalSigner.GenerateEcdsaP256();
        var ci = LocalSigner.GenerateEcdsaP256();
        var web = await AccessServer.PushImageAsync(registry, "adm/web", "1");
        var worker = await AccessServer.PushImageAsync(registry, "adm/worker", "2");
        await PutPolicyOkAsync(access.AdminApi, Policy("adm", "adm/**", "enforce", new Dictionary<string, LocalSigner> { ["dev"] = dev }, JsonValue.Create("dev")));

        string host = access.Server.HostPort;
        var deployment = await DeploymentAsync("shop", $"{host}/adm/web:1", $"{host}/adm/worker:2");
        string review = AdmissionSupport.Wrap(deployment);
        using var client = access.Raw();

        var denied = await ValidateUntilAsync(client, review, allowed: false);
        Assert.Equal(403, (int)denied["response"]!["status"]!["code"]!);
        string message = (string)denied["response"]!["status"]!["message"]!;
        Assert.Contains("adm/web:1", message, StringComparison.Ordinal);
        Assert.Contains("adm/worker:2", message, StringComparison.Ordinal);
        Assert.Contains("2 of 2 images refused", message, StringComparison.Ordinal);
        Assert.Contains("dev: no trusted signature", message, StringComparison.Ordinal);

        // One image signed: still denied, now for the other one only.
        await SignCosignAsync(registry, host, "adm/web", web.Digest, dev);
        JsonNode half = denied;
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(20); await Task.Delay(100))
        {
            (_, var next) = await client.PostAsync("/admission/validate", review);
            half = next!;
            if (((string)half["response"]!["status"]!["message"]!).Contains("1 of 2 images refused", StringComparison.Ordinal)) break;
        }
        Assert.False((bool)half["response"]!["allowed"]!, half.ToJsonString());
        string halfMessage = (string)half["response"]!["status"]!["message"]!;
        Assert.Contains("1 of 2 images refused", halfMessage, StringComparison.Ordinal);
        Assert.Matches(@"adm/worker:2 \(sha256:[0-9a-f]{64}\): policy adm v1 \(enforce\):.*dev: no trusted signature", halfMessage);
        Assert.Matches(@"adm/web:1 \(sha256:[0-9a-f]{64}\): allowed by policy adm v1", halfMessage);

        await SignCosignAsync(registry, host, "adm/worker", worker.Digest, dev);
        await ValidateUntilAsync(client, review, allowed: true);

        // The policy now also requires ci: the next decisions deny again, naming ci.
        await PutPolicyOkAsync(access.AdminApi, Policy("adm", "adm/**", "enforce", new Dictionary<string, LocalSigner> { ["dev"] = dev, ["ci"] = ci },
            new JsonObject { ["allOf"] = new JsonArray("dev", "ci") }));
        var again = await ValidateUntilAsync(client, review, allowed: false);
        Assert.Contains("ci: no trusted signature", (string)again["response"]!["status"]!["message"]!, StringComparison.Ordinal);
    }
}
