using System.Text.Json.Nodes;
using Bollard.Trust.Admission;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Bollard.Trust.Tests.Admission;

/// <summary>
/// Every fixture of test/testdata/admission (its READMEs say what each is): parsed, and decided as its README
/// describes for its shape. Offline, the registries the fixtures name are stood in for by <see cref="FakeManifests"/>.
/// </summary>
public class AdmissionFixtureTests
{
    private readonly FakeManifests _manifests = new();
    private readonly FakeDecisions _decisions = new();

    private const string Same = "91ac9b26df583762234c1cdb2fc930364754ccc59bc752a2bfe298d2ea68f9ff";

    /// <summary>
    /// Connaisseur's static rules: <c>my.reg</c> is this registry, <c>allow-me</c> meets its policy, <c>deny-me</c> violates it;
    /// every other (Docker Hub, quay.io, registry.k8s.io) image is external and <see cref="ExternalImageRule.Deny"/>.
    /// </summary>
    private AdmissionReviewer ConnaisseurReviewer()
    {
        _manifests.AddDigest("allow-me", "sha256:" + Same);
        _manifests.AddDigest("deny-me", "sha256:" + Same);
        _decisions.Decide = (r, d) => r.Value == "deny-me" ? FakeDecisions.Deny(r, d, "requirement key ci: no signature trusted by key ci") : FakeDecisions.Allow(r, d);
        return Reviewers.Create(_manifests, _decisions, new AdmissionOptions { RegistryHosts = ["my.reg"] });
    }

    [Theory]
    [InlineData("01_deployment.json", "deny", "apps/Deployment test-connaisseur/charlie-deployment", "docker.io/securesystemsengineering/alice-image:test: image of another registry")]
    [InlineData("02_pod.json", "deny", "securesystemsengineering/charlie-image@sha256:91ac9b26", "another registry")]
    [InlineData("03_replicaset.json", "deny", "apps/ReplicaSet", "sample-san-sama:hai")]
    [InlineData("04_cronjob.json", "deny", "batch/CronJob", "docker.io/library/busybox")]
    [InlineData("05_replication_controller.json", "deny", "ReplicationController", "docker.io/library/nginx")]
    [InlineData("06_daemonset.json", "deny", "apps/DaemonSet kube-system/fluentd-elasticsearch", "another registry (quay.io)")]
    [InlineData("07_statefulset.json", "deny", "apps/StatefulSet", "another registry (registry.k8s.io)")]
    [InlineData("08_job.json", "deny", "batch/Job", "perl:5.34.0")]
    [InlineData("09_dply_multi_image.json", "deny", "3 of 3 images refused", "busybox:1.32")]
    [InlineData("10_update.json", "deny", "apps/ReplicaSet default/test-58d59c69bf", "redis:latest@sha256:1111")]
    [InlineData("11_role.json", "allow", "not checked (rbac.authorization.k8s.io/Role has no pod template)", null)]
    [InlineData("12_err_pod.json", "deny", "the object has no kind (the request says Pod)", null)]
    [InlineData("13_unknown_parent.json", "deny", "charlie-image@sha256", "another registry")]
    [InlineData("14_deny_me_job.json", "deny", "my.reg/deny-me@sha256:91ac9b26", "requirement key ci: no signature trusted by key ci")]
    [InlineData("15_allow_me_job.json", "allow", "my.reg/allow-me@sha256:91ac9b26", "allowed by policy prod v1")]
    [InlineData("16_mismatch_uid.json", "deny", "charlie-image@sha256", "another registry")]
    [InlineData("17_deny_me_pod.json", "deny", "my.reg/deny-me@sha256:91ac9b26", "requirement key ci")]
    [InlineData("18_allow_me_pod.json", "allow", "my.reg/allow-me@sha256:91ac9b26", "allowed by policy prod v1")]
    [InlineData("19_pod_initcontainer.json", "deny", "2 of 2 images refused", "docker.io/library/nginx")]
    [InlineData("20_pod_ephemeralcontainer.json", "deny", "2 of 2 images refused", "docker.io/library/nginx")]
    [InlineData("21_broken_admission_request.json", "400", "request.uid is missing", null)]
    [InlineData("22_allow_me_with_index_docker_io.json", "deny", "docker.io/library/test-image", "another registry")]
    [InlineData("23_alice_digest_dpl.json", "deny", "alice-image@sha256:1234567890123456", "another registry")]
    [InlineData("24_alice_tag_digest_dpl.json", "deny", "alice-image:test@sha256:1234567890123456", "another registry")]
    [InlineData("25_null_request.json", "400", "the body is JSON null, not an AdmissionReview object", null)]
    [InlineData("26_broken_update_admission_request.json", "400", "request.uid is missing", null)]
    [InlineData("27_deleted_deployment.json", "deny", "docker.io/library/busybox", "another registry")]
    [InlineData("28_deleted_deployment_updated.json", "allow", "being deleted and no image changed", null)]
    [InlineData("29_deleted_deployment_update_for_delete.json", "deny", "docker.io/library/busybox", "another registry")]
    public async Task Connaisseur_Fixture_GetsItsDecision(string file, string expected, string contains, string? alsoContains)
    {
        byte[] body = TestData.Bytes("admission", "connaisseur", file);
        if (expected == "400")
        {
            var e = Assert.Throws<AdmissionReviewException>(() => AdmissionReview.Parse(body));
            Assert.Contains(contains, e.Message, StringComparison.Ordinal);
            return;
        }
        var verdict = await ConnaisseurReviewer().ReviewAsync(body, mutate: true);
        Assert.True(verdict.Allowed == (expected == "allow"), verdict.Message);
        Assert.Contains(contains, verdict.Message, StringComparison.Ordinal);
        if (alsoContains is not null) Assert.Contains(alsoContains, verdict.Message, StringComparison.Ordinal);
        // Digest-pinned images are never patched; denied reviews never are.
        Assert.Empty(verdict.Patch);
    }

    [Fact]
    public void Connaisseur_Fixtures_AreAllCovered() =>
        Assert.Equal(29, Directory.GetFiles(TestData.Path("admission", "connaisseur"), "*.json").Length);

    [Fact]
    public async Task Connaisseur_Deployment_WithDockerHubAsThisRegistry_IsPinnedLikeUpstreamExpects()
    {
        // Upstream's 01 expectation: allowed, with a patch pinning alice-image:test to its digest.
        var digest = _manifests.Add("securesystemsengineering/alice-image", "test");
        var reviewer = Reviewers.Create(_manifests, _decisions, new AdmissionOptions { RegistryHosts = ["docker.io"] });
        var verdict = await reviewer.ReviewAsync(TestData.Bytes("admission", "connaisseur", "01_deployment.json"), mutate: true);
        Assert.True(verdict.Allowed, verdict.Message);
        var op = Assert.Single(verdict.Patch);
        Assert.Equal("/spec/template/spec/containers/0/image", op.Path);
        Assert.Equal($"docker.io/securesystemsengineering/alice-image@{digest}", op.Value);

        var response = JsonNode.Parse(AdmissionResponse.Write(AdmissionReview.V1Beta1, "3a3a7b38-1512-11ea-a591-0a8a1d3e5a8d", verdict))!;
        Assert.Equal("admission.k8s.io/v1beta1", (string?)response["apiVersion"]);
    }

    [Fact]
    public async Task Connaisseur_V1beta1CronJob_IsFoundUnderItsJobTemplate()
    {
        var digest = _manifests.Add("library/busybox", "latest");
        var reviewer = Reviewers.Create(_manifests, _decisions, new AdmissionOptions { RegistryHosts = ["docker.io"] });
        var verdict = await reviewer.ReviewAsync(TestData.Bytes("admission", "connaisseur", "04_cronjob.json"), mutate: true);
        Assert.True(verdict.Allowed, verdict.Message);
        Assert.Equal("/spec/jobTemplate/spec/template/spec/containers/0/image", Assert.Single(verdict.Patch).Path);
        Assert.Equal(digest, Assert.Single(_decisions.Asked).Item2);
    }

    [Theory]
    [InlineData("admission.k8s.io.v1.AdmissionReview.json", "admission.k8s.io/v1")]
    [InlineData("admission.k8s.io.v1beta1.AdmissionReview.json", "admission.k8s.io/v1beta1")]
    [InlineData("v1.35.0/admission.k8s.io.v1.AdmissionReview.json", "admission.k8s.io/v1")]
    [InlineData("v1.35.0/admission.k8s.io.v1beta1.AdmissionReview.json", "admission.k8s.io/v1beta1")]
    public async Task Kubernetes_RoundTripFixture_ParsesEveryField_AndItsPlaceholderOperationIsDenied(string file, string version)
    {
        byte[] body = TestData.Bytes(["admission", "kubernetes", .. file.Split('/')]);
        using (var review = AdmissionReview.Parse(body))
        {
            Assert.Equal(version, review.ApiVersion);
            Assert.Equal("uidValue", review.Uid);
            Assert.Equal("kindValue", review.Kind);
            Assert.Equal("subResourceValue", review.SubResource);
            Assert.NotNull(review.NewObject);
            Assert.NotNull(review.OldObject);
        }
        var verdict = await ConnaisseurReviewer().ReviewAsync(body);
        Assert.False(verdict.Allowed);
        Assert.Contains("operation 'operationValue' is not CREATE, UPDATE, DELETE or CONNECT", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubernetes_YamlFixtures_AreTheSameRequests()
    {
        foreach (string file in new[] { "admission.k8s.io.v1.AdmissionReview", "admission.k8s.io.v1beta1.AdmissionReview" })
        {
            string json = YamlToJson(TestData.Text("admission", "kubernetes", file + ".yaml")).Single();
            using var fromYaml = AdmissionReview.Parse(System.Text.Encoding.UTF8.GetBytes(json));
            using var fromJson = AdmissionReview.Parse(TestData.Bytes("admission", "kubernetes", file + ".json"));
            Assert.Equal((fromJson.ApiVersion, fromJson.Uid, fromJson.Operation, fromJson.Kind), (fromYaml.ApiVersion, fromYaml.Uid, fromYaml.Operation, fromYaml.Kind));
            Assert.False((await ConnaisseurReviewer().ReviewAsync(json)).Allowed);
        }
    }

    [Fact]
    public async Task KubernetesDocs_ScaleSubresourceUpdate_IsAllowedUnchecked()
    {
        var verdict = await ConnaisseurReviewer().ReviewAsync(TestData.Bytes("admission", "kubernetes-docs", "admissionreview-request-scale-update.v1.json"));
        Assert.True(verdict.Allowed);
        Assert.Contains("subresource 'scale'", verdict.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("admissionreview-response-allow.v1.json")]
    [InlineData("admissionreview-response-deny.v1.json")]
    [InlineData("admissionreview-response-deny-status-403.v1.json")]
    [InlineData("admissionreview-response-allow-jsonpatch.v1.json")]
    [InlineData("admissionreview-response-allow-warnings.v1.json")]
    public void KubernetesDocs_Response_IsNotARequest_AndOurResponseHasItsShape(string file)
    {
        byte[] body = TestData.Bytes("admission", "kubernetes-docs", file);
        Assert.Contains("no request", Assert.Throws<AdmissionReviewException>(() => AdmissionReview.Parse(body)).Message, StringComparison.Ordinal);

        var docs = JsonNode.Parse(body)!;
        var theirs = docs["response"]!.AsObject();
        var verdict = new AdmissionVerdict
        {
            Allowed = (bool)theirs["allowed"]!,
            Message = (string?)theirs["status"]?["message"] ?? "m",
            Warnings = theirs["warnings"]?.AsArray().Select(w => (string)w!).ToList() ?? [],
            Patch = theirs["patch"] is null ? [] : [new PatchOperation("/spec/replicas", "3")],
        };
        var ours = JsonNode.Parse(AdmissionResponse.Write((string)docs["apiVersion"]!, (string)theirs["uid"]!, verdict))!;
        Assert.Equal((string?)docs["apiVersion"], (string?)ours["apiVersion"]);
        Assert.Equal((string?)docs["kind"], (string?)ours["kind"]);
        var response = ours["response"]!.AsObject();
        // Every field the docs' example has, ours has, with the same JSON type.
        foreach (var (key, value) in theirs)
        {
            Assert.True(response.ContainsKey(key), $"{file}: our response lacks {key}");
            Assert.Equal(value!.GetValueKind(), response[key]!.GetValueKind());
        }
        Assert.Equal((string?)theirs["uid"], (string?)response["uid"]);
        if (theirs["status"]?["code"] is { } code) Assert.Equal((int)code, (int)response["status"]!["code"]!);
    }

    /// <summary>Kyverno's resources, with <c>ghcr.io</c> as this registry: images tagged <c>signed</c> meet the policy, <c>unsigned</c> do not.</summary>
    private AdmissionReviewer KyvernoReviewer(params string[] hosts)
    {
        _manifests.Add("kyverno/test-verify-image", "signed");
        var unsigned = _manifests.Add("kyverno/test-verify-image", "unsigned");
        foreach (string tag in new[] { "6.3.3", "6.3.4", "6.3.5" }) _manifests.Add("stefanprodan/podinfo", tag);
        _manifests.Add("library/nginx", "latest");
        _manifests.AddDigest("library/nginx", "sha256:859ab6768a6f26a79bc42b231664111317d095a4f04e4b6fe79ce37b3d199097");
        _decisions.Decide = (r, d) => d == unsigned
            ? FakeDecisions.Deny(r, d, "requirement key kyverno: no signature trusted by key kyverno")
            : FakeDecisions.Allow(r, d);
        return Reviewers.Create(_manifests, _decisions, new AdmissionOptions { RegistryHosts = hosts.Length > 0 ? [.. hosts] : ["ghcr.io"] });
    }

    [Theory]
    [InlineData("cli/test/images/verify-signature/resources.yaml", "signed=allow unsigned=deny signed-registry-image-datavolume=allow unsigned-registry-image-datavolume=allow")]
    [InlineData("cli/test/images/signatures/resources.yaml", "signed=allow unsigned=deny")]
    [InlineData("cli/test/images/secure-images/resources.yaml", "tomcat=deny")]
    [InlineData("cli/test-image-validating-policy/sample-policy/good-pod.yaml", "good-pod=allow")]
    [InlineData("cli/test-image-validating-policy/sample-policy/bad-pod.yaml", "bad-pod=deny")]
    [InlineData("conformance/chainsaw/verify-images/clusterpolicy/standard/empty-image/resource.yaml", "*=allow")]
    [InlineData("conformance/chainsaw/verify-images/clusterpolicy/standard/update-multi-containers/resource-v1.yaml", "double=allow")]
    public async Task Kyverno_Resource_WrappedInAReview_GetsKyvernosResult(string file, string expected)
    {
        var want = expected.Split(' ').Select(e => e.Split('=')).ToDictionary(e => e[0], e => e[1] == "allow");
        var reviewer = KyvernoReviewer();
        var documents = YamlToJson(TestData.Text(["admission", "kyverno", "test", .. file.Split('/')])).ToList();
        Assert.Equal(want.Count, documents.Count);
        foreach (string json in documents)
        {
            var obj = JsonNode.Parse(json)!;
            string apiVersion = (string)obj["apiVersion"]!, kind = (string)obj["kind"]!, name = (string?)obj["metadata"]?["name"] ?? "*";
            int slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
            var verdict = await reviewer.ReviewAsync(Reviewers.Wrap(json, slash < 0 ? "" : apiVersion[..slash], apiVersion[(slash + 1)..], kind), mutate: true);
            Assert.True(verdict.Allowed == (want.TryGetValue(name, out bool a) ? a : want["*"]), $"{name}: {verdict.Message}");
            // A DataVolume keeps its image in a URL Bollard does not read (no pod template): it is not checked.
            if (kind == "DataVolume") Assert.Contains("has no pod template", verdict.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Kyverno_UpdateOfOneOfTwoContainers_IsAdmitted_AndThePatchPinsBoth()
    {
        var reviewer = KyvernoReviewer();
        string v1 = YamlToJson(TestData.Text("admission", "kyverno", "test", "conformance", "chainsaw", "verify-images", "clusterpolicy", "standard", "update-multi-containers", "resource-v1.yaml")).Single();
        string v2 = YamlToJson(TestData.Text("admission", "kyverno", "test", "conformance", "chainsaw", "verify-images", "clusterpolicy", "standard", "update-multi-containers", "resource-v2.yaml")).Single();
        var verdict = await reviewer.ReviewAsync(Reviewers.Wrap(v2, "apps", "v1", "Deployment", "UPDATE", oldObjectJson: v1), mutate: true);
        Assert.True(verdict.Allowed, verdict.Message);
        Assert.Equal(2, verdict.Patch.Count);
        Assert.Contains(verdict.Patch, p => p.Path == "/spec/template/spec/containers/1/image" && p.Value.StartsWith("ghcr.io/stefanprodan/podinfo@sha256:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Kyverno_DigestCase_WithDockerHubAsThisRegistry_PinsTheTagOnly()
    {
        // Kyverno's verifyDigest refuses the tag-only Pod; Bollard's mutating webhook pins it instead.
        var reviewer = KyvernoReviewer("docker.io");
        foreach (string json in YamlToJson(TestData.Text("admission", "kyverno", "test", "cli", "test", "images", "digest", "resources.yaml")))
        {
            var verdict = await reviewer.ReviewAsync(Reviewers.Wrap(json, "", "v1", "Pod"), mutate: true);
            Assert.True(verdict.Allowed, verdict.Message);
            bool tagOnly = ((string)JsonNode.Parse(json)!["metadata"]!["name"]!) == "no-digest";
            Assert.Equal(tagOnly ? 1 : 0, verdict.Patch.Count);
        }
    }

    /// <summary>Each YAML document as JSON (scalars become strings, which is all the reviewer reads).</summary>
    internal static IEnumerable<string> YamlToJson(string yaml)
    {
        var deserializer = new DeserializerBuilder().Build();
        var serializer = new SerializerBuilder().JsonCompatible().Build();
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<StreamStart>();
        while (parser.Accept<DocumentStart>(out _))
        {
            var value = deserializer.Deserialize(parser);
            if (value is not null) yield return serializer.Serialize(value);
        }
    }
}
