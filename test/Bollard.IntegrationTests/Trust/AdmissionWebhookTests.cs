using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.IntegrationTests.Support;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Trust;

/// <summary>
/// The admission webhook on a real server over loopback HTTP: images pushed to it, reviews posted as the API server
/// posts them, decisions from the policy engine seam (<see cref="ScriptedDecisions"/>).
/// </summary>
public sealed class AdmissionWebhookTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ScriptedDecisions _decisions = new();
    private BollardServer _server = null!;

    public async Task InitializeAsync() => _server = await AdmissionSupport.StartAsync(_decisions, output);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Image(string repo, string tag) => $"{_server.HostPort}/{repo}:{tag}";

    private static JsonNode Pod(params string[] images) => JsonNode.Parse(
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"prod\"},\"spec\":{\"containers\":["
        + string.Join(",", images.Select((image, i) => new JsonObject { ["name"] = $"c{i}", ["image"] = image }.ToJsonString())) + "]}}")!;

    [Fact]
    public async Task Mutate_PushedTag_IsResolvedAllowedAndPinned_AndValidateAgreesWithoutAPatch()
    {
        var (_, digest) = await _server.Client.PushImageAsync("team/web", "1.0");
        var pod = Pod(Image("team/web", "1.0"));
        string uid = Guid.NewGuid().ToString();

        var (status, body) = await _server.Client.PostAsync("/admission/mutate", AdmissionSupport.Wrap(pod, uid: uid));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(uid, (string?)body!["response"]!["uid"]);
        Assert.True((bool)body["response"]!["allowed"]!, body.ToJsonString());
        var pinned = AdmissionSupport.ApplyPatch(pod, body);
        Assert.Equal($"{_server.HostPort}/team/web@{digest}", (string?)pinned["spec"]!["containers"]![0]!["image"]);

        (status, body) = await _server.Client.PostAsync("/admission/validate", AdmissionSupport.Wrap(pod));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True((bool)body!["response"]!["allowed"]!);
        Assert.Null(body["response"]!["patch"]);
    }

    [Fact]
    public async Task Validate_PolicyChange_IsReflectedInTheNextDecision_WithTheReasons()
    {
        var (_, digest) = await _server.Client.PushImageAsync("team/web", "1.0");
        string review = AdmissionSupport.Wrap(Pod(Image("team/web", "1.0")));
        var (_, body) = await _server.Client.PostAsync("/admission/validate", review);
        Assert.True((bool)body!["response"]!["allowed"]!);

        _decisions.Denied[digest] = "requirement allOf(dev, ci, release): release: no signature trusted by key release";
        (_, body) = await _server.Client.PostAsync("/admission/validate", review);
        Assert.False((bool)body!["response"]!["allowed"]!);
        Assert.Equal(403, (int)body["response"]!["status"]!["code"]!);
        string message = (string)body["response"]!["status"]!["message"]!;
        Assert.Contains("team/web:1.0", message, StringComparison.Ordinal);
        Assert.Contains("release: no signature trusted by key release", message, StringComparison.Ordinal);
        // Like the pull gate's, admission decisions reach the recent-decisions log (written in batches in the background).
        string decisions = "";
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(15); await Task.Delay(100))
        {
            using var recent = await _server.Client.GetAsync("/api/v1/decisions?repository=team/web");
            decisions = await recent.Content.ReadAsStringAsync();
            if (decisions.Contains(digest, StringComparison.Ordinal) && decisions.Contains("release: no signature trusted by key release", StringComparison.Ordinal)) break;
        }
        Assert.Contains("admission", decisions, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("release: no signature trusted by key release", decisions, StringComparison.Ordinal);

        _decisions.Denied.Clear();
        _decisions.Warned[digest] = "severity: CVE-2026-0001 (high) is above medium";
        (_, body) = await _server.Client.PostAsync("/admission/validate", review);
        Assert.True((bool)body!["response"]!["allowed"]!);
        Assert.Contains("CVE-2026-0001", (string)body["response"]!["warnings"]![0]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_UnknownTagOfThisRegistry_AndExternalImage_AreDeniedByDefault()
    {
        var (_, body) = await _server.Client.PostAsync("/admission/validate", AdmissionSupport.Wrap(Pod(Image("team/none", "1.0"), "nginx:1.27")));
        Assert.False((bool)body!["response"]!["allowed"]!);
        string message = (string)body["response"]!["status"]!["message"]!;
        Assert.Contains("not in this registry: repository team/none has no tag 1.0", message, StringComparison.Ordinal);
        Assert.Contains("nginx:1.27 = docker.io/library/nginx:1.27: image of another registry (docker.io)", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_V1beta1Review_IsAnsweredInV1beta1()
    {
        var (status, body) = await _server.Client.PostAsync("/admission/validate",
            await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "TestData", "admission", "connaisseur", "04_cronjob.json")));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("admission.k8s.io/v1beta1", (string?)body!["apiVersion"]);
        Assert.False((bool)body["response"]!["allowed"]!);
    }

    [Fact]
    public async Task Connaisseur_Fixtures_OverHttp_AreAnswered200Or400_NeverAServerError()
    {
        foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "TestData", "admission", "connaisseur"), "*.json"))
        {
            var (status, body) = await _server.Client.PostAsync("/admission/validate", await File.ReadAllTextAsync(file));
            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{Path.GetFileName(file)}: {status}");
            if (status == HttpStatusCode.BadRequest) Assert.StartsWith("not an AdmissionReview request: ", (string)body!["message"]!, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("null", "JSON null")]
    [InlineData("", "not JSON")]
    [InlineData("{", "not JSON")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}""", "request.uid is missing")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview","request":{"uid":"x"}}""", "is not admission.k8s.io/v1")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}""", "no request object")]
    [InlineData("[1,2]", "JSON array")]
    public async Task Validate_BrokenBody_Is400WithTheReason(string body, string expected)
    {
        var (status, answer) = await _server.Client.PostAsync("/admission/validate", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, (string)answer!["message"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_VeryDeepJson_Is400_NotACrash()
    {
        string deep = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"object\":"
            + string.Concat(Enumerable.Repeat("{\"a\":[", 20_000)) + "1" + string.Concat(Enumerable.Repeat("]}", 20_000)) + "}}";
        var (status, answer) = await _server.Client.PostAsync("/admission/validate", deep);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("depth", (string)answer!["message"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_3MiBReview_Is413_WithOrWithoutContentLength()
    {
        var pod = Pod("nginx");
        pod["metadata"]!["annotations"] = new JsonObject { ["big"] = new string('x', 3 * 1024 * 1024) };
        string review = AdmissionSupport.Wrap(pod);
        var (status, answer) = await _server.Client.PostAsync("/admission/validate", review);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("Admission:MaxRequestBytes", (string)answer!["message"]!, StringComparison.Ordinal);

        // Chunked: no length up front, so reading stops at the limit.
        using var content = new PushStreamContent(review);
        using var response = await _server.Client.PostAsync("/admission/validate", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Mutate_500Containers_AreAnsweredCorrectly_AndQuickly()
    {
        var digests = new Dictionary<string, string>();
        for (int i = 0; i < 10; i++) digests[$"team/app{i}"] = (await _server.Client.PushImageAsync($"team/app{i}", "v1", layers: 1, layerSize: 16)).Digest;
        var images = Enumerable.Range(0, 500).Select(i => Image($"team/app{i % 10}", "v1")).ToArray();
        var pod = Pod(images);
        var clock = Stopwatch.StartNew();
        var (status, body) = await _server.Client.PostAsync("/admission/mutate", AdmissionSupport.Wrap(pod));
        clock.Stop();
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True((bool)body!["response"]!["allowed"]!, (string?)body["response"]!["status"]!["message"]);
        var pinned = AdmissionSupport.ApplyPatch(pod, body);
        for (int i = 0; i < 500; i++)
            Assert.Equal($"{_server.HostPort}/team/app{i % 10}@{digests[$"team/app{i % 10}"]}", (string?)pinned["spec"]!["containers"]![i]!["image"]);
        output.WriteLine($"500 containers (10 images) answered in {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Validate_GetAndOtherMethods_AreNotAnswered()
    {
        using var response = await _server.Client.GetAsync("/admission/validate");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    /// <summary>A body sent chunked (no Content-Length).</summary>
    private sealed class PushStreamContent(string text) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            for (int offset = 0; offset < bytes.Length; offset += 64 * 1024)
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(64 * 1024, bytes.Length - offset)));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
