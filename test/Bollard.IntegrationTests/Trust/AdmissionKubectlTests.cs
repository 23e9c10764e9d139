using System.Net;
using System.Text.Json.Nodes;
using Bollard.IntegrationTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Trust;

/// <summary>
/// Objects made by kubectl itself (<c>kubectl create deployment|job|cronjob --dry-run=client -o json</c>, and
/// <c>kubectl run</c>, which asks an API server for discovery first: a loopback stand-in answers it), the other
/// workload kinds derived from the Deployment, each wrapped in an AdmissionReview v1 and v1beta1 and posted to a real
/// server: allowed, and the patch pins the image at the kind's pod-spec path.
/// </summary>
public sealed class AdmissionKubectlTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ScriptedDecisions _decisions = new();
    private BollardServer _server = null!;
    private WebApplication? _discovery;

    public async Task InitializeAsync() => _server = await AdmissionSupport.StartAsync(_decisions, output);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        if (_discovery is not null) await _discovery.DisposeAsync();
    }

    private static async Task<JsonNode> KubectlAsync(params string[] args)
    {
        ExternalTool.Require("kubectl");
        var result = await ExternalTool.RunAsync("kubectl", [.. args, "--dry-run=client", "-o", "json"],
            environment: new Dictionary<string, string> { ["KUBECONFIG"] = "/dev/null" });
        Assert.True(result.ExitCode == 0, result.Describe());
        return JsonNode.Parse(result.Stdout)!;
    }

    /// <summary>The discovery documents <c>kubectl run</c> reads before it prints (it knows Pods are core v1 from them).</summary>
    private async Task<string> DiscoveryAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _discovery = builder.Build();
        _discovery.MapGet("/version", () => Results.Json(new { major = "1", minor = "32", gitVersion = "v1.32.0" }));
        _discovery.MapGet("/api", () => Results.Text("""{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}""", "application/json"));
        _discovery.MapGet("/apis", () => Results.Text("""{"kind":"APIGroupList","apiVersion":"v1","groups":[]}""", "application/json"));
        _discovery.MapGet("/api/v1", () => Results.Text("""{"kind":"APIResourceList","groupVersion":"v1","resources":[{"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["create","get"]}]}""", "application/json"));
        await _discovery.StartAsync();
        return _discovery.Urls.First();
    }

    [Fact]
    public async Task KubectlObjects_OfEveryWorkloadKind_AreAllowedAndPinned_InV1AndV1beta1()
    {
        var (_, digest) = await _server.Client.PushImageAsync("team/web", "1.0");
        string image = $"{_server.HostPort}/team/web:1.0", pinned = $"{_server.HostPort}/team/web@{digest}";

        var deployment = await KubectlAsync("create", "deployment", "web", "--image", image);
        var objects = new List<(JsonNode Object, string[] PodSpec)>
        {
            (deployment, ["spec", "template", "spec"]),
            (await KubectlAsync("create", "job", "migrate", "--image", image), ["spec", "template", "spec"]),
            (await KubectlAsync("create", "cronjob", "nightly", "--image", image, "--schedule", "0 3 * * *"), ["spec", "jobTemplate", "spec", "template", "spec"]),
            (await KubectlAsync("run", "web", "--image", image, "--server", await DiscoveryAsync()), ["spec"]),
        };
        // kubectl makes no StatefulSet, DaemonSet, ReplicaSet or ReplicationController: the Deployment's template is theirs.
        foreach (string kind in new[] { "StatefulSet", "DaemonSet", "ReplicaSet" })
        {
            var o = deployment.DeepClone();
            o["kind"] = kind;
            o["spec"]!.AsObject().Remove("strategy");
            objects.Add((o, ["spec", "template", "spec"]));
        }
        var rc = deployment.DeepClone();
        rc["apiVersion"] = "v1";
        rc["kind"] = "ReplicationController";
        rc["spec"]!["selector"] = new JsonObject { ["app"] = "web" };
        rc["spec"]!.AsObject().Remove("strategy");
        objects.Add((rc, ["spec", "template", "spec"]));

        foreach (var (obj, podSpec) in objects)
        foreach (string version in new[] { "admission.k8s.io/v1", "admission.k8s.io/v1beta1" })
        {
            string kind = (string)obj["kind"]!;
            var (status, body) = await _server.Client.PostAsync("/admission/mutate", AdmissionSupport.Wrap(obj, version: version));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(version, (string?)body!["apiVersion"]);
            Assert.True((bool)body["response"]!["allowed"]!, $"{kind}: {body.ToJsonString()}");
            JsonNode spec = AdmissionSupport.ApplyPatch(obj, body);
            foreach (string step in podSpec) spec = spec[step]!;
            Assert.Equal(pinned, (string?)spec["containers"]![0]!["image"]);

            (status, body) = await _server.Client.PostAsync("/admission/validate", AdmissionSupport.Wrap(obj, version: version));
            Assert.True((bool)body!["response"]!["allowed"]!, kind);
        }

        // The same objects are denied once the policy refuses the image, each with the reason.
        _decisions.Denied[digest] = "requirement key ci: no signature trusted by key ci";
        foreach (var (obj, _) in objects)
        {
            var (_, body) = await _server.Client.PostAsync("/admission/validate", AdmissionSupport.Wrap(obj));
            Assert.False((bool)body!["response"]!["allowed"]!);
            Assert.Contains("no signature trusted by key ci", (string)body["response"]!["status"]!["message"]!, StringComparison.Ordinal);
        }
    }
}
