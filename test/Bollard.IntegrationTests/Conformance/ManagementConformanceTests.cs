using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Conformance;

/// <summary>Port of <c>conformance/04_management_test.go</c> (<c>test04ContentManagement</c>).</summary>
internal sealed class ManagementWorkflow(ConformanceRun run) : ConformanceWorkflow(run)
{
    private const string DefaultTagName = "tagtest0";
    private string _tagToDelete = "";
    private int _numTags;
    private bool _blobDeleteAllowed = true;

    public override string Title => "Content Management";

    public int NumTags => _numTags;
    public bool BlobDeleteAllowed => _blobDeleteAllowed;

    public override IReadOnlyList<ConformanceStep> Steps =>
    [
        new("Setup", "Populate registry with test config blob", PopulateConfigAsync),
        new("Setup", "Populate registry with test layer", PopulateLayerAsync),
        new("Setup", "Populate registry with test tag", PopulateTagAsync),
        new("Setup", "Check how many tags there are before anything gets deleted", CountTagsAsync),
        new("Manifest delete", "DELETE request to manifest tag should return 202, unless tag deletion is disallowed (400/405)", DeleteTagAsync),
        new("Manifest delete", "DELETE request to manifest (digest) should yield 202 response unless already deleted", DeleteManifestAsync),
        new("Manifest delete", "GET request to deleted manifest URL should yield 404 response, unless delete is disallowed", GetDeletedManifestAsync),
        new("Manifest delete", "GET request to tags list should reflect manifest deletion", TagsReflectDeletionAsync),
        new("Blob delete", "DELETE request to blob URL should yield 202 response", DeleteBlobsAsync),
        new("Blob delete", "GET request to deleted blob URL should yield 404 response", GetDeletedBlobAsync),
        // Teardown: "No teardown required at this time for content management tests".
    ];

    public async Task SetupAsync()
    {
        foreach (var step in Steps.Where(s => s.Context == "Setup")) await step.Run();
    }

    // ---- Setup ----

    public Task PopulateConfigAsync() => PopulateBlobAsync(Data.Configs[3].Digest, Data.Configs[3].Content);
    public Task PopulateLayerAsync() => PopulateBlobAsync(Data.LayerBlobDigest, Data.LayerBlobData);

    public async Task PopulateTagAsync()
    {
        _tagToDelete = DefaultTagName;
        Expect.Success(await PutManifestAsync(_tagToDelete, Data.Manifests[3].Content));
    }

    public async Task CountTagsAsync()
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Get, "/v2/<name>/tags/list"));
        Expect.Status(resp, 200);
        _numTags = StrictTagCount(resp);
    }

    // ---- Manifest delete ----

    public async Task<ConformanceResponse> DeleteTagAsync()
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Delete, "/v2/<name>/manifests/<reference>", reference: _tagToDelete));
        Expect.StatusIn(resp, 400, 202, 405);
        if (resp.StatusCode == 400)
        {
            var errors = resp.Errors();
            Assert.NotEmpty(errors);
            Assert.Equal("UNSUPPORTED", errors[0].Code);
        }
        return resp;
    }

    public async Task<ConformanceResponse> DeleteManifestAsync()
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Delete, "/v2/<name>/manifests/<digest>", digest: Data.Manifests[3].Digest));
        // If the tag delete was accepted this may or may not find the manifest, which is fine.
        Expect.StatusIn(resp, 202, 404);
        return resp;
    }

    public async Task<ConformanceResponse> GetDeletedManifestAsync()
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Get, "/v2/<name>/manifests/<digest>", digest: Data.Manifests[3].Digest));
        Expect.StatusIn(resp, 404, 200);
        return resp;
    }

    public async Task<ConformanceResponse> TagsReflectDeletionAsync()
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Get, "/v2/<name>/tags/list"));
        Expect.Status(resp, 200);
        Assert.True(StrictTagCount(resp) < _numTags, $"tag list still has {StrictTagCount(resp)} of {_numTags} tags: {resp}");
        return resp;
    }

    // ---- Blob delete ----

    public async Task DeleteBlobsAsync()
    {
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Delete, "/v2/<name>/blobs/<digest>", digest: Data.Configs[3].Digest));
        Expect.StatusIn(resp, 202, 404, 405);
        resp = await DoAsync(Client.NewRequest(HttpMethod.Delete, "/v2/<name>/blobs/<digest>", digest: Data.LayerBlobDigest));
        Expect.StatusIn(resp, 202, 404, 405);
        if (resp.StatusCode == 405) _blobDeleteAllowed = false;
    }

    public async Task<ConformanceResponse?> GetDeletedBlobAsync()
    {
        if (!_blobDeleteAllowed) { Run.Skip("GET request to deleted blob URL should yield 404 response", "blob delete is not allowed"); return null; }
        var resp = await DoAsync(Client.NewRequest(HttpMethod.Get, "/v2/<name>/blobs/<digest>", digest: Data.Configs[3].Digest));
        Expect.Status(resp, 404);
        return resp;
    }

    /// <summary>The suite unmarshals the list with <c>Expect(err).To(BeNil())</c>: the body must be a tag list.</summary>
    private static int StrictTagCount(ConformanceResponse resp)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(resp.Body);
        return doc.RootElement.TryGetProperty("tags", out var tags) && tags.ValueKind == System.Text.Json.JsonValueKind.Array
            ? tags.GetArrayLength() : 0;
    }
}

/// <summary>The Content Management workflow of the OCI conformance suite, one test per spec, against the real server.</summary>
public sealed class ManagementConformanceTests(ConformanceServerFixture fixture, ITestOutputHelper output) : IClassFixture<ConformanceServerFixture>
{
    private async Task<ManagementWorkflow> SetUpAsync()
    {
        var management = new ManagementWorkflow(fixture.NewRun(output: output));
        await management.SetupAsync();
        return management;
    }

    [Fact]
    public async Task Management_Setup_CountsOneTag()
    {
        var management = await SetUpAsync();
        Assert.Equal(1, management.NumTags);
    }

    [Fact]
    public async Task Management_DeleteTag_Returns202()
    {
        var resp = await (await SetUpAsync()).DeleteTagAsync();
        Assert.Equal(202, resp.StatusCode); // Bollard deletes tags (the suite allows 400 UNSUPPORTED / 405)
    }

    [Fact]
    public async Task Management_DeleteManifestByDigestAfterTagDelete_Returns202()
    {
        var management = await SetUpAsync();
        await management.DeleteTagAsync();
        var resp = await management.DeleteManifestAsync();
        Assert.Equal(202, resp.StatusCode); // deleting the tag leaves the manifest
    }

    [Fact]
    public async Task Management_GetDeletedManifest_Returns404()
    {
        var management = await SetUpAsync();
        await management.DeleteTagAsync();
        await management.DeleteManifestAsync();
        var resp = await management.GetDeletedManifestAsync();
        Assert.Equal(404, resp.StatusCode);
    }

    [Fact]
    public async Task Management_TagsListAfterDelete_ReflectsDeletion()
    {
        var management = await SetUpAsync();
        await management.DeleteTagAsync();
        await management.DeleteManifestAsync();
        await management.GetDeletedManifestAsync();
        await management.TagsReflectDeletionAsync();
    }

    [Fact]
    public async Task Management_DeleteBlobs_Returns202()
    {
        // The suite's order: the manifest goes first (a blob it references may not be deleted, issue 6 B13).
        var management = await SetUpAsync();
        await management.DeleteTagAsync();
        await management.DeleteManifestAsync();
        await management.DeleteBlobsAsync();
        Assert.True(management.BlobDeleteAllowed);
    }

    [Fact]
    public async Task Management_GetDeletedBlob_Returns404()
    {
        var management = await SetUpAsync();
        await management.DeleteTagAsync();
        await management.DeleteManifestAsync();
        await management.DeleteBlobsAsync();
        var resp = await management.GetDeletedBlobAsync();
        Assert.NotNull(resp);
    }

    [Fact]
    public async Task Management_WholeWorkflow_Passes()
    {
        var management = new ManagementWorkflow(fixture.NewRun(output: output));
        await management.RunAllAsync();
        Assert.Empty(management.Run.Skipped);
    }
}
