using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Conformance;

/// <summary>Port of <c>conformance/01_pull_test.go</c> (<c>test01Pull</c>).</summary>
internal sealed class PullWorkflow(ConformanceRun run) : ConformanceWorkflow(run)
{
    private string _tag = "";

    public override string Title => "Pull";

    public override IReadOnlyList<ConformanceStep> Steps =>
    [
        new("Setup", "Populate registry with test blob (config[0])", PopulateConfig0Async),
        new("Setup", "Populate registry with test blob (config[1])", PopulateConfig1Async),
        new("Setup", "Populate registry with test layer", PopulateLayerAsync),
        new("Setup", "Populate registry with test manifest (tag)", PopulateManifestByTagAsync),
        new("Setup", "Populate registry with test manifest (digest)", PopulateManifestByDigestAsync),
        new("Setup", "Get tag name from environment", TagNameFromEnvironmentAsync),
        new("Pull blobs", "HEAD request to nonexistent blob should result in 404 response", HeadNonexistentBlobAsync),
        new("Pull blobs", "HEAD request to existing blob should yield 200", HeadExistingBlobAsync),
        new("Pull blobs", "GET nonexistent blob should result in 404 response", GetNonexistentBlobAsync),
        new("Pull blobs", "GET request to existing blob URL should yield 200", GetExistingBlobAsync),
        new("Pull manifests", "HEAD request to nonexistent manifest should return 404", HeadNonexistentManifestAsync),
        new("Pull manifests", "HEAD request to manifest[0] path (digest) should yield 200 response", () => HeadManifestByDigestAsync(0)),
        new("Pull manifests", "HEAD request to manifest[1] path (digest) should yield 200 response", () => HeadManifestByDigestAsync(1)),
        new("Pull manifests", "HEAD request to manifest path (tag) should yield 200 response", HeadManifestByTagAsync),
        new("Pull manifests", "GET nonexistent manifest should return 404", GetNonexistentManifestAsync),
        new("Pull manifests", "GET request to manifest[0] path (digest) should yield 200 response", () => GetManifestByDigestAsync(0)),
        new("Pull manifests", "GET request to manifest[1] path (digest) should yield 200 response", () => GetManifestByDigestAsync(1)),
        new("Pull manifests", "GET request to manifest path (tag) should yield 200 response", GetManifestByTagAsync),
        new("Error codes", "400 response body should contain OCI-conforming JSON message", InvalidReferenceErrorBodyAsync),
        .. TeardownSteps,
    ];

    private IEnumerable<ConformanceStep> TeardownSteps
    {
        get
        {
            if (Settings.DeleteManifestBeforeBlobs)
            {
                yield return new("Teardown", "Delete manifest[0] created in setup", () => DeleteManifestAsync(0));
                yield return new("Teardown", "Delete manifest[1] created in setup", () => DeleteManifestAsync(1));
            }
            yield return new("Teardown", "Delete config[0] blob created in setup", () => DeleteConfigAsync(0));
            yield return new("Teardown", "Delete config[1] blob created in setup", () => DeleteConfigAsync(1));
            yield return new("Teardown", "Delete layer blob created in setup", DeleteLayerAsync);
            if (!Settings.DeleteManifestBeforeBlobs)
            {
                yield return new("Teardown", "Delete manifest[0] created in setup", () => DeleteManifestAsync(0));
                yield return new("Teardown", "Delete manifest[1] created in setup", () => DeleteManifestAsync(1));
            }
        }
    }

    public async Task SetupAsync()
    {
        foreach (var step in Steps.Where(s => s.Context == "Setup")) await step.Run();
    }

    // ---- Setup ----

    public Task PopulateConfig0Async() => PopulateBlobAsync(Data.Configs[0].Digest, Data.Configs[0].Content);
    public Task PopulateConfig1Async() => PopulateBlobAsync(Data.Configs[1].Digest, Data.Configs[1].Content);
    public Task PopulateLayerAsync() => PopulateBlobAsync(Data.LayerBlobDigest, Data.LayerBlobData);

    public async Task PopulateManifestByTagAsync()
    {
        _tag = ConformanceData.TestTagName;
        Expect.Success(await PutManifestAsync(_tag, Data.Manifests[0].Content));
    }

    public async Task PopulateManifestByDigestAsync() =>
        Expect.Success(await PutManifestAsync(Data.Manifests[1].Digest, Data.Manifests[1].Content));

    /// <summary>Only runs against a pre-populated registry (<c>OCI_TAG_NAME</c> and digests set); this port always populates.</summary>
    public Task TagNameFromEnvironmentAsync()
    {
        Run.Skip("Get tag name from environment", "the setup pushes the content (OCI_TAG_NAME unset)");
        return Task.CompletedTask;
    }

    // ---- Pull blobs ----

    public async Task<ConformanceResponse> HeadNonexistentBlobAsync()
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Head, "/v2/<name>/blobs/<digest>", digest: Data.DummyDigest));
        Expect.Status(resp, 404);
        return resp;
    }

    public async Task<ConformanceResponse> HeadExistingBlobAsync()
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Head, "/v2/<name>/blobs/<digest>", digest: Data.Configs[0].Digest));
        Expect.Status(resp, 200);
        if (resp.Header("Docker-Content-Digest") is { Length: > 0 } h) Assert.Equal(Data.Configs[0].Digest, h);
        return resp;
    }

    public async Task<ConformanceResponse> GetNonexistentBlobAsync()
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Get, "/v2/<name>/blobs/<digest>", digest: Data.DummyDigest));
        Expect.Status(resp, 404);
        return resp;
    }

    public async Task<ConformanceResponse> GetExistingBlobAsync()
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Get, "/v2/<name>/blobs/<digest>", digest: Data.Configs[0].Digest));
        Expect.Status(resp, 200);
        return resp;
    }

    // ---- Pull manifests ----

    public async Task<ConformanceResponse> HeadNonexistentManifestAsync()
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Head, "/v2/<name>/manifests/<reference>", reference: ConformanceData.NonexistentManifest));
        Expect.Status(resp, 404);
        return resp;
    }

    public async Task<ConformanceResponse> HeadManifestByDigestAsync(int i)
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Head, "/v2/<name>/manifests/<digest>", digest: Data.Manifests[i].Digest)
            .SetHeader("Accept", ConformanceData.ImageManifestType));
        Expect.Status(resp, 200);
        if (resp.Header("Docker-Content-Digest") is { Length: > 0 } h) Assert.Equal(Data.Manifests[i].Digest, h);
        return resp;
    }

    public async Task<ConformanceResponse> HeadManifestByTagAsync()
    {
        Assert.NotEmpty(_tag);
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Head, "/v2/<name>/manifests/<reference>", reference: _tag)
            .SetHeader("Accept", ConformanceData.ImageManifestType));
        Expect.Status(resp, 200);
        if (resp.Header("Docker-Content-Digest") is { Length: > 0 } h) Assert.Equal(Data.Manifests[0].Digest, h);
        return resp;
    }

    public async Task<ConformanceResponse> GetNonexistentManifestAsync()
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Get, "/v2/<name>/manifests/<reference>", reference: ConformanceData.NonexistentManifest));
        Expect.Status(resp, 404);
        return resp;
    }

    public async Task<ConformanceResponse> GetManifestByDigestAsync(int i)
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Get, "/v2/<name>/manifests/<digest>", digest: Data.Manifests[i].Digest)
            .SetHeader("Accept", ConformanceData.ImageManifestType));
        Expect.Status(resp, 200);
        return resp;
    }

    public async Task<ConformanceResponse> GetManifestByTagAsync()
    {
        Assert.NotEmpty(_tag);
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Get, "/v2/<name>/manifests/<reference>", reference: _tag)
            .SetHeader("Accept", ConformanceData.ImageManifestType));
        Expect.Status(resp, 200);
        return resp;
    }

    // ---- Error codes ----

    public async Task<ConformanceResponse> InvalidReferenceErrorBodyAsync()
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Get, "/v2/<name>/manifests/<reference>", reference: "sha256:totallywrong")
            .SetHeader("Content-Type", ConformanceData.ImageManifestType)
            .SetBody("blablabla"u8.ToArray()));
        Expect.StatusIn(resp, 400, 404);
        if (resp.StatusCode == 400)
        {
            var errors = resp.Errors();
            Assert.NotEmpty(errors);
            Assert.Contains(errors[0].Code, ConformanceData.ErrorCodes);
        }
        return resp;
    }

    // ---- Teardown ----

    public Task DeleteManifestAsync(int i) => DeleteAsync("/v2/<name>/manifests/<digest>", Data.Manifests[i].Digest);
    public Task DeleteConfigAsync(int i) => DeleteAsync("/v2/<name>/blobs/<digest>", Data.Configs[i].Digest, 404);
    public Task DeleteLayerAsync() => DeleteAsync("/v2/<name>/blobs/<digest>", Data.LayerBlobDigest, 404);
}

/// <summary>The Pull workflow of the OCI conformance suite, one test per spec, against the real server.</summary>
public sealed class PullConformanceTests(ConformanceServerFixture fixture, ITestOutputHelper output) : IClassFixture<ConformanceServerFixture>
{
    private async Task<PullWorkflow> SetUpAsync()
    {
        var pull = new PullWorkflow(fixture.NewRun(output: output));
        await pull.SetupAsync();
        return pull;
    }

    [Fact]
    public async Task Pull_Setup_PopulatesBlobsLayerAndManifests() => await SetUpAsync();

    [Fact]
    public async Task Pull_HeadNonexistentBlob_Returns404() => await (await SetUpAsync()).HeadNonexistentBlobAsync();

    [Fact]
    public async Task Pull_HeadExistingBlob_Returns200WithDigest()
    {
        var resp = await (await SetUpAsync()).HeadExistingBlobAsync();
        // Bollard always sends the (optional in the suite) digest header.
        Assert.NotEmpty(resp.Header("Docker-Content-Digest"));
    }

    [Fact]
    public async Task Pull_GetNonexistentBlob_Returns404() => await (await SetUpAsync()).GetNonexistentBlobAsync();

    [Fact]
    public async Task Pull_GetExistingBlob_Returns200()
    {
        var pull = await SetUpAsync();
        var resp = await pull.GetExistingBlobAsync();
        Assert.Equal(pull.Data.Configs[0].Content, resp.Body);
    }

    [Fact]
    public async Task Pull_HeadNonexistentManifest_Returns404() => await (await SetUpAsync()).HeadNonexistentManifestAsync();

    [Fact]
    public async Task Pull_HeadManifest0ByDigest_Returns200() => await (await SetUpAsync()).HeadManifestByDigestAsync(0);

    [Fact]
    public async Task Pull_HeadManifest1ByDigest_Returns200() => await (await SetUpAsync()).HeadManifestByDigestAsync(1);

    [Fact]
    public async Task Pull_HeadManifestByTag_Returns200WithDigestOfManifest0() => await (await SetUpAsync()).HeadManifestByTagAsync();

    [Fact]
    public async Task Pull_GetNonexistentManifest_Returns404() => await (await SetUpAsync()).GetNonexistentManifestAsync();

    [Fact]
    public async Task Pull_GetManifest0ByDigest_Returns200() => await (await SetUpAsync()).GetManifestByDigestAsync(0);

    [Fact]
    public async Task Pull_GetManifest1ByDigest_Returns200() => await (await SetUpAsync()).GetManifestByDigestAsync(1);

    [Fact]
    public async Task Pull_GetManifestByTag_Returns200() => await (await SetUpAsync()).GetManifestByTagAsync();

    [Fact]
    public async Task Pull_InvalidDigestReference_Returns400WithOciErrorBody() => await (await SetUpAsync()).InvalidReferenceErrorBodyAsync();

    // No OCI_DELETE_MANIFEST_BEFORE_BLOBS=0 rows: Bollard refuses to delete a blob that a manifest still references
    // (issue 6 B13, Protocol/ReferenceRulesTests), so it needs the suite's default order, manifests before blobs.
    [Theory]
    [InlineData(true)]
    public async Task Pull_WholeWorkflow_PassesIncludingTeardown(bool deleteManifestBeforeBlobs)
    {
        var pull = new PullWorkflow(fixture.NewRun(ConformanceSettings.Fresh(deleteManifestBeforeBlobs: deleteManifestBeforeBlobs), output));
        await pull.RunAllAsync();
        Assert.Equal(["Get tag name from environment"], pull.Run.Skipped);
    }
}
