using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bollard.Trust.Admission;
using Bollard.Trust.Policy;

namespace Bollard.Trust.Tests.Admission;

public class AdmissionReviewerTests
{
    private const string Host = "registry.example.com";
    private readonly FakeManifests _manifests = new();
    private readonly FakeDecisions _decisions = new();
    private readonly AdmissionOptions _options = new() { RegistryHosts = [Host] };

    private AdmissionReviewer Reviewer() => Reviewers.Create(_manifests, _decisions, _options);

    private static string Deployment(params string[] images) => Deployment(images, [], []);

    private static string Deployment(string[] containers, string[] init, string[] ephemeral)
    {
        static string List(string[] images, string prefix) =>
            "[" + string.Join(",", images.Select((image, i) => Container(prefix + i, image))) + "]";
        return "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"prod\"},"
            + "\"spec\":{\"replicas\":2,\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
            + "\"spec\":{\"containers\":" + List(containers, "c") + ",\"initContainers\":" + List(init, "i") + ",\"ephemeralContainers\":" + List(ephemeral, "e") + "}}}}";
    }

    private static string Container(string name, string image) => "{\"name\":\"" + name + "\",\"image\":" + JsonSerializer.Serialize(image) + "}";

    private static string Pod(params string[] images) =>
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[" + string.Join(",", images.Select((image, i) => Container("c" + i, image))) + "]}}";

    private static JsonArray Patch(AdmissionVerdict verdict) => (JsonArray)JsonNode.Parse(AdmissionResponse.JsonPatch(verdict.Patch))!;

    [Fact]
    public async Task Review_TagOfThisRegistry_IsResolvedDecidedAndPinned()
    {
        var digest = _manifests.Add("team/web", "1.0");
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Deployment($"{Host}/team/web:1.0"), "apps", "v1", "Deployment"), mutate: true);

        Assert.True(verdict.Allowed, verdict.Message);
        var asked = Assert.Single(_decisions.Asked);
        Assert.Equal(("team/web", digest, DecisionPoint.Admission), (asked.Item1.Value, asked.Item2, asked.Item3));
        var op = Assert.Single(Patch(verdict));
        Assert.Equal("replace", (string?)op!["op"]);
        Assert.Equal("/spec/template/spec/containers/0/image", (string?)op["path"]);
        Assert.Equal($"{Host}/team/web@{digest}", (string?)op["value"]);
        Assert.Contains("allowed by policy prod v1", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Review_Validate_NeverPatches()
    {
        _manifests.Add("team/web", "1.0");
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Deployment($"{Host}/team/web:1.0"), "apps", "v1", "Deployment"), mutate: false);
        Assert.True(verdict.Allowed);
        Assert.Empty(verdict.Patch);
    }

    [Fact]
    public async Task Review_DigestOrTagPlusDigest_DecidesTheDigest_AndIsNotPatched()
    {
        var digest = _manifests.Add("team/web", "1.0");
        _manifests.Add("team/web", "2.0");
        // The tag now names another manifest: the digest written wins.
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Pod($"{Host}/team/web@{digest}", $"{Host}/team/web:2.0@{digest}"), "", "v1", "Pod"), mutate: true);
        Assert.True(verdict.Allowed, verdict.Message);
        Assert.All(_decisions.Asked, a => Assert.Equal(digest, a.Item2));
        // Both already name the digest the runtime pulls: nothing to pin.
        Assert.Empty(verdict.Patch);
    }

    [Fact]
    public async Task Review_EveryContainerList_IsChecked_AtItsOwnPointer_AndImagesAreDeduplicated()
    {
        var a = _manifests.Add("a", "1");
        var b = _manifests.Add("b", "1");
        var c = _manifests.Add("c", "1");
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(
            Deployment([$"{Host}/a:1", $"{Host}/b:1", $"{Host}/a:1"], [$"{Host}/b:1"], [$"{Host}/c:1"]), "apps", "v1", "Deployment"), mutate: true);

        Assert.True(verdict.Allowed, verdict.Message);
        Assert.Equal(3, verdict.Images.Count);
        Assert.Equal(3, _decisions.Asked.Count);
        var paths = Patch(verdict).Select(o => ((string)o!["path"]!, (string)o["value"]!)).OrderBy(p => p.Item1, StringComparer.Ordinal).ToList();
        Assert.Equal(
        [
            ("/spec/template/spec/containers/0/image", $"{Host}/a@{a}"),
            ("/spec/template/spec/containers/1/image", $"{Host}/b@{b}"),
            ("/spec/template/spec/containers/2/image", $"{Host}/a@{a}"),
            ("/spec/template/spec/ephemeralContainers/0/image", $"{Host}/c@{c}"),
            ("/spec/template/spec/initContainers/0/image", $"{Host}/b@{b}"),
        ], paths);
    }

    [Fact]
    public async Task Review_EnforcedViolation_IsDenied_WithTheReasons_AndNoPatch()
    {
        _manifests.Add("team/web", "1.0");
        _manifests.Add("team/ok", "1.0");
        _decisions.Decide = (r, d) => r.Value == "team/web"
            ? FakeDecisions.Deny(r, d, "requirement allOf(dev, ci, release): release: no signature trusted by key release")
            : FakeDecisions.Allow(r, d);
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Deployment($"{Host}/team/ok:1.0", $"{Host}/team/web:1.0"), "apps", "v1", "Deployment"), mutate: true);

        Assert.False(verdict.Allowed);
        Assert.Empty(verdict.Patch);
        Assert.StartsWith("Bollard denied apps/Deployment prod/web: 1 of 2 images refused: registry.example.com/team/web:1.0", verdict.Message, StringComparison.Ordinal);
        Assert.Contains("policy prod v3 (enforce):; requirement allOf(dev, ci, release): release: no signature trusted by key release", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Review_WarnModeViolation_IsAllowed_WithAWarning()
    {
        _manifests.Add("team/web", "1.0");
        _decisions.Decide = (r, d) => FakeDecisions.Warn(r, d, "severity: CVE-2024-1 (critical) is above high");
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Pod($"{Host}/team/web:1.0"), "", "v1", "Pod"));
        Assert.True(verdict.Allowed);
        var warning = Assert.Single(verdict.Warnings);
        Assert.Contains("policy audit v2 (warn) violated:; severity: CVE-2024-1 (critical) is above high", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Review_UnknownImageOfThisRegistry_IsDenied()
    {
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Pod($"{Host}/team/web:1.0", $"{Host}/team/db@sha256:91ac9b26df583762234c1cdb2fc930364754ccc59bc752a2bfe298d2ea68f9ff"), "", "v1", "Pod"));
        Assert.False(verdict.Allowed);
        Assert.Contains("not in this registry: repository team/web has no tag 1.0", verdict.Message, StringComparison.Ordinal);
        Assert.Contains("not in this registry: repository team/db has no manifest sha256:91ac9b26", verdict.Message, StringComparison.Ordinal);
        Assert.Empty(_decisions.Asked);
    }

    [Theory]
    [InlineData(ExternalImageRule.Deny, false, 0)]
    [InlineData(ExternalImageRule.Warn, true, 1)]
    [InlineData(ExternalImageRule.Allow, true, 0)]
    public async Task Review_ExternalImage_FollowsTheRule(ExternalImageRule rule, bool allowed, int warnings)
    {
        _options.ExternalImages = rule;
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Pod("nginx:1.27"), "", "v1", "Pod"), mutate: true);
        Assert.Equal(allowed, verdict.Allowed);
        Assert.Equal(warnings, verdict.Warnings.Count);
        Assert.Contains("docker.io/library/nginx:1.27: image of another registry (docker.io)", verdict.Message, StringComparison.Ordinal);
        Assert.Contains($"Admission:ExternalImages: {rule.ToString().ToLowerInvariant()}", verdict.Message, StringComparison.Ordinal);
        Assert.Empty(verdict.Patch);
        Assert.Empty(_decisions.Asked);
    }

    [Fact]
    public async Task Review_NoPolicyEngine_DeniesThisRegistrysImages()
    {
        _manifests.Add("team/web", "1.0");
        var verdict = await Reviewers.Create(_manifests, null, _options).ReviewAsync(Reviewers.Wrap(Pod($"{Host}/team/web:1.0"), "", "v1", "Pod"));
        Assert.False(verdict.Allowed);
        Assert.Contains("no policy engine", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Review_EngineFails_IsDeniedWithTheReason()
    {
        _manifests.Add("team/web", "1.0");
        _decisions.Decide = (_, _) => throw new InvalidOperationException("database is locked");
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Pod($"{Host}/team/web:1.0"), "", "v1", "Pod"));
        Assert.False(verdict.Allowed);
        Assert.Contains("could not be decided: database is locked", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Review_SlowEngine_IsDeniedAfterTheTimeout()
    {
        _manifests.Add("team/web", "1.0");
        _decisions.Delay = TimeSpan.FromSeconds(30);
        _options.Timeout = TimeSpan.FromMilliseconds(200);
        var started = DateTime.UtcNow;
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Pod($"{Host}/team/web:1.0"), "", "v1", "Pod"));
        Assert.False(verdict.Allowed);
        Assert.Contains("not decided within 0.2s (Admission:Timeout)", verdict.Message, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Review_500Containers_AreAllCheckedAndPinned()
    {
        var images = Enumerable.Range(0, 500).Select(i => $"{Host}/team/app{i % 50}:v{i % 7}").ToArray();
        foreach (string image in images.Distinct()) _manifests.Add(image[(Host.Length + 1)..image.IndexOf(':', StringComparison.Ordinal)], image[(image.IndexOf(':', StringComparison.Ordinal) + 1)..]);
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Deployment(images), "apps", "v1", "Deployment"), mutate: true);
        Assert.True(verdict.Allowed, verdict.Message);
        Assert.Equal(images.Distinct().Count(), verdict.Images.Count);
        Assert.Equal(500, verdict.Patch.Count);
        Assert.True(verdict.Message.Length <= AdmissionReviewer.MaxMessageLength);
    }

    [Fact]
    public async Task Review_MoreContainersThanTheCap_IsDeniedWithTheReason_WithoutDeciding()
    {
        _options.MaxContainers = 10;
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Deployment([.. Enumerable.Repeat("nginx", 11)]), "apps", "v1", "Deployment"));
        Assert.False(verdict.Allowed);
        Assert.Contains("more than 10 containers (Admission:MaxContainers)", verdict.Message, StringComparison.Ordinal);
        Assert.Equal(0, _manifests.Reads);
    }

    [Fact]
    public async Task Review_ManyWarnings_StayWithinKubernetesLimits()
    {
        _options.ExternalImages = ExternalImageRule.Warn;
        var images = Enumerable.Range(0, 200).Select(i => $"docker.io/some-team/{new string('x', 200)}{i}:1").ToArray();
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Pod(images), "", "v1", "Pod"));
        Assert.True(verdict.Allowed);
        Assert.All(verdict.Warnings, w => Assert.True(w.Length <= AdmissionReviewer.MaxWarningLength));
        Assert.True(verdict.Warnings.Sum(w => w.Length) <= AdmissionReviewer.MaxWarningsLength);
        Assert.Contains("more warnings", verdict.Warnings[^1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DELETE")]
    [InlineData("CONNECT")]
    public async Task Review_DeleteAndConnect_AreAllowedUnchecked(string operation)
    {
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Pod("evil.example/x:1"), "", "v1", "Pod", operation));
        Assert.True(verdict.Allowed);
        Assert.Contains("not checked (it starts no container)", verdict.Message, StringComparison.Ordinal);
        Assert.Empty(verdict.Images);
    }

    [Fact]
    public async Task Review_UnknownOperation_IsDenied()
    {
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Pod("nginx"), "", "v1", "Pod", "PATCH"));
        Assert.False(verdict.Allowed);
        Assert.Contains("operation 'PATCH' is not CREATE, UPDATE, DELETE or CONNECT", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Review_EphemeralContainersSubresource_IsChecked_OtherSubresourcesAreNot()
    {
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Pod("nginx"), "", "v1", "Pod", "UPDATE", oldObjectJson: Pod("nginx"), subResource: "ephemeralcontainers"));
        Assert.False(verdict.Allowed);
        verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Pod("nginx"), "", "v1", "Pod", "UPDATE", subResource: "status"));
        Assert.True(verdict.Allowed);
        Assert.Contains("subresource 'status'", verdict.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"apiVersion":"v1","kind":"Pod","spec":{"containers":"nginx"}}""", "/spec/containers is a JSON string, not a list")]
    [InlineData("""{"apiVersion":"v1","kind":"Pod","spec":{"containers":[7]}}""", "/spec/containers/0 is a JSON number, not a container")]
    [InlineData("""{"apiVersion":"v1","kind":"Pod","spec":[]}""", "no pod spec at /spec")]
    [InlineData("""{"apiVersion":"v1","kind":"Pod","spec":{"containers":[]}}""", "has no containers")]
    [InlineData("""{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"x","image":7}]}}""", "has no image")]
    [InlineData("""{"apiVersion":"v1","kind":"Secret","data":{}}""", "the object is a Secret, but the request says Pod")]
    [InlineData("""{"msg":"Expecting a Pod?"}""", "the object has no kind")]
    [InlineData("\"None\"", "request.object is missing or not a JSON object")]
    public async Task Review_OddObjects_AreDeniedWithTheReason(string objectJson, string expected)
    {
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(objectJson, "", "v1", "Pod"));
        Assert.False(verdict.Allowed);
        Assert.Contains(expected, verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Review_DeeplyNestedObject_WithinTheDepthLimit_IsDecided()
    {
        string deep = string.Concat(Enumerable.Repeat("{\"a\":", 50)) + "1" + new string('}', 50);
        string pod = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{\"x\":\"y\"}},\"extra\":" + deep + ",\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}";
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(pod, "", "v1", "Pod"));
        Assert.False(verdict.Allowed);
        Assert.Contains("another registry", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Review_UpdateOfObjectBeingDeleted_WithUnchangedImages_IsNotChecked_ButAChangedImageIs()
    {
        static string Deleting(string image) => "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"deletionTimestamp\":\"2026-03-06T12:34:56Z\"},\"spec\":{\"template\":{\"spec\":{\"containers\":[" + Container("c", image) + "]}}}}";
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Deleting("busybox"), "apps", "v1", "Deployment", "UPDATE", oldObjectJson: Deleting("busybox")));
        Assert.True(verdict.Allowed, verdict.Message);
        verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Deleting("evil.example/x:1"), "apps", "v1", "Deployment", "UPDATE", oldObjectJson: Deleting("busybox")));
        Assert.False(verdict.Allowed);
    }

    [Fact]
    public async Task Review_BlankImageInATemplate_IsAllowedWithAWarning_ButNotInAPod()
    {
        var verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Deployment(" "), "apps", "v1", "Deployment"));
        Assert.True(verdict.Allowed, verdict.Message);
        Assert.Contains("has no image yet", Assert.Single(verdict.Warnings), StringComparison.Ordinal);
        verdict = await Reviewer().ReviewAsync(Reviewers.Wrap(Pod(" "), "", "v1", "Pod"));
        Assert.False(verdict.Allowed);
    }

    [Fact]
    public async Task Review_PolicyChange_IsReflectedInTheNextDecision()
    {
        _manifests.Add("team/web", "1.0");
        string review = Reviewers.Wrap(Pod($"{Host}/team/web:1.0"), "", "v1", "Pod");
        Assert.True((await Reviewer().ReviewAsync(review)).Allowed);
        _decisions.Decide = (r, d) => FakeDecisions.Deny(r, d, "requirement key release: no signature");
        Assert.False((await Reviewer().ReviewAsync(review)).Allowed);
    }

    [Fact]
    public void Response_EchoesUidAndVersion_WithBase64JsonPatch()
    {
        var verdict = new AdmissionVerdict
        {
            Allowed = true, Message = "ok", Warnings = ["w1"], Patch = [new PatchOperation("/spec/containers/0/image", "r.example/a@sha256:00")],
        };
        var response = JsonNode.Parse(AdmissionResponse.Write(AdmissionReview.V1Beta1, "u-1", verdict))!;
        Assert.Equal("admission.k8s.io/v1beta1", (string?)response["apiVersion"]);
        Assert.Equal("AdmissionReview", (string?)response["kind"]);
        Assert.Equal("u-1", (string?)response["response"]!["uid"]);
        Assert.Equal("JSONPatch", (string?)response["response"]!["patchType"]);
        string patch = Encoding.UTF8.GetString(Convert.FromBase64String((string)response["response"]!["patch"]!));
        Assert.Equal("""[{"op":"replace","path":"/spec/containers/0/image","value":"r.example/a@sha256:00"}]""", patch);
    }
}
