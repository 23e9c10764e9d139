using Xunit.Abstractions;
using Xunit.Sdk;

namespace Bollard.IntegrationTests.Conformance;

/// <summary>
/// The suite's environment settings (setup.go) that change what it expects of a registry.
/// <list type="bullet">
/// <item><c>OCI_NAMESPACE</c> / <c>OCI_CROSSMOUNT_NAMESPACE</c>: the repositories used.</item>
/// <item><c>OCI_AUTOMATIC_CROSSMOUNT</c>: null when unset (the automatic cross-mount checks do not run), else
/// whether a mount without <c>from</c> of a blob the registry holds elsewhere is expected to give 201.</item>
/// <item><c>OCI_DELETE_MANIFEST_BEFORE_BLOBS</c>: teardown order (default true).</item>
/// </list>
/// <see cref="ChunkedBodies"/> is not a suite setting: it picks how request bodies are framed (see <see cref="ConformanceClient"/>).
/// </summary>
internal sealed record ConformanceSettings(string Namespace, string CrossmountNamespace, bool? AutomaticCrossmount, bool DeleteManifestBeforeBlobs, bool ChunkedBodies = true)
{
    public bool RunAutomaticCrossmountTest => AutomaticCrossmount is not null;
    public bool AutomaticCrossmountEnabled => AutomaticCrossmount == true;

    public static ConformanceSettings Fresh(bool? automaticCrossmount = null, bool deleteManifestBeforeBlobs = true, bool chunkedBodies = true) =>
        new($"conformance/{Guid.NewGuid():N}", $"conformance-{Guid.NewGuid()}", automaticCrossmount, deleteManifestBeforeBlobs, chunkedBodies);
}

/// <summary>One run of the suite: client, content and settings shared by the workflows, plus a log.</summary>
internal sealed class ConformanceRun(ConformanceClient client, ConformanceData data, ConformanceSettings settings, ITestOutputHelper? output)
{
    public ConformanceClient Client => client;
    public ConformanceData Data => data;
    public ConformanceSettings Settings => settings;

    public List<string> Skipped { get; } = [];

    public void Log(string message) => output?.WriteLine(message);

    /// <summary>ginkgo's <c>g.Skip</c> under <c>RunOnlyIf</c>: the rest of the spec does not run.</summary>
    public void Skip(string spec, string why)
    {
        Skipped.Add(spec);
        Log($"  SKIP {spec}: {why}");
    }
}

/// <summary>One ginkgo <c>g.Specify</c>, under its <c>g.Context</c>.</summary>
internal sealed record ConformanceStep(string Context, string Spec, Func<Task> Run);

/// <summary>A workflow of the suite (one <c>NN_*_test.go</c> file): its specs, in the order ginkgo runs them.</summary>
internal abstract class ConformanceWorkflow(ConformanceRun run)
{
    public ConformanceRun Run => run;
    public ConformanceClient Client => run.Client;
    public ConformanceData Data => run.Data;
    protected ConformanceSettings Settings => run.Settings;

    public abstract string Title { get; }
    public abstract IReadOnlyList<ConformanceStep> Steps { get; }

    /// <summary>Every spec in order; a failure names the spec it came from.</summary>
    public async Task RunAllAsync()
    {
        foreach (var step in Steps)
        {
            run.Log($"{Title} / {step.Context} / {step.Spec}");
            try
            {
                await step.Run();
            }
            catch (XunitException e)
            {
                throw new XunitException($"[{Title} / {step.Context}] {step.Spec}: {e.Message}");
            }
        }
    }

    protected Task<ConformanceResponse> DoAsync(ConformanceRequest request) => Client.DoAsync(request);

    /// <summary>The setup idiom of every workflow: POST for a session, PUT the whole blob to it, expect 2xx.</summary>
    protected async Task PopulateBlobAsync(string digest, byte[] content)
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Post, "/v2/<name>/blobs/uploads/"));
        resp = await DoAsync(Client.NewRequest(HttpMethod.Put, resp.GetRelativeLocation())
            .SetQueryParam("digest", digest)
            .SetHeader("Content-Type", "application/octet-stream")
            .SetHeader("Content-Length", content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .SetBody(content));
        Expect.Success(resp);
    }

    protected async Task<ConformanceResponse> PutManifestAsync(string reference, byte[] content, string mediaType = ConformanceData.ImageManifestType)
    {
        return await DoAsync(Client.NewRequest(HttpMethod.Put, "/v2/<name>/manifests/<reference>", reference: reference)
            .SetHeader("Content-Type", mediaType)
            .SetBody(content));
    }

    /// <summary>Teardown DELETE: 2xx or 405, plus whatever extra statuses that spec also tolerates.</summary>
    protected async Task DeleteAsync(string path, string reference, params int[] alsoAllowed)
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Delete, path, reference: reference, digest: reference));
        Expect.SuccessOr(resp, [405, .. alsoAllowed]);
    }
}

/// <summary>The gomega matchers the suite uses, with the response in every failure message.</summary>
internal static class Expect
{
    public static void Status(ConformanceResponse resp, int expected) =>
        Assert.True(resp.StatusCode == expected, $"expected {expected}: {resp}");

    public static void StatusIn(ConformanceResponse resp, params int[] allowed) =>
        Assert.True(allowed.Contains(resp.StatusCode), $"expected one of {string.Join('/', allowed)}: {resp}");

    /// <summary><c>SatisfyAll(BeNumerically("&gt;=", 200), BeNumerically("&lt;", 300))</c>.</summary>
    public static void Success(ConformanceResponse resp) =>
        Assert.True(resp.StatusCode is >= 200 and < 300, $"expected 2xx: {resp}");

    public static void SuccessOr(ConformanceResponse resp, params int[] alsoAllowed) =>
        Assert.True(resp.StatusCode is >= 200 and < 300 || alsoAllowed.Contains(resp.StatusCode),
            $"expected 2xx or {string.Join('/', alsoAllowed)}: {resp}");

    public static void NotEmpty(string value, string what, ConformanceResponse resp) =>
        Assert.True(!string.IsNullOrEmpty(value), $"{what} must not be empty: {resp}");
}
