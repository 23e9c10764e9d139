using System.Net;
using System.Text;
using System.Text.Json;

namespace Bollard.IntegrationTests.Protocol;

/// <summary>distribution-spec "Listing Referrers" and the <c>OCI-Subject</c> push response header.</summary>
public sealed class ReferrersTests(SharedServerFixture fixture) : IClassFixture<SharedServerFixture>
{
    private const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    private const string OciIndex = "application/vnd.oci.image.index.v1+json";
    private readonly BollardServer _server = fixture.Server;
    private HttpClient Client => _server.Client;

    private sealed record Referrer(string MediaType, string Digest, long Size, string? ArtifactType, Dictionary<string, string>? Annotations);

    private async Task<(List<Referrer> Items, HttpResponseMessage Response)> ListAsync(string repo, string subject, string? artifactType = null)
    {
        string url = $"/v2/{repo}/referrers/{subject}" + (artifactType is null ? "" : $"?artifactType={Uri.EscapeDataString(artifactType)}");
        var response = await Client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OciIndex, response.Content.Headers.ContentType!.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = doc.RootElement;
        Assert.Equal(2, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(OciIndex, root.GetProperty("mediaType").GetString());
        var items = root.GetProperty("manifests").EnumerateArray().Select(m => new Referrer(
            m.GetProperty("mediaType").GetString()!,
            m.GetProperty("digest").GetString()!,
            m.GetProperty("size").GetInt64(),
            m.TryGetProperty("artifactType", out var at) && at.ValueKind == JsonValueKind.String ? at.GetString() : null,
            m.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object
                ? a.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!) : null)).ToList();
        return (items, response);
    }

    [Fact]
    public async Task ReferrersAreListed_WithArtifactTypeAndAnnotations_FilterAndDelete()
    {
        string repo = AttackSupport.UniqueRepo("protocol/referrers");
        var (_, subject) = await Client.PushImageAsync(repo, "app", layers: 1, layerSize: 10);

        // 1: explicit artifactType + annotations; 2: no artifactType, so the config media type counts.
        var (sbom, sbomDigest) = await Client.PushImageAsync(repo, "sbom", layers: 1, layerSize: 10, subject: subject,
            artifactType: "application/vnd.example.sbom", annotations: new() { ["org.example.kind"] = "sbom", ["org.opencontainers.image.created"] = "2024-01-01T00:00:00Z" });
        var (sig, sigDigest) = await Client.PushImageAsync(repo, "sig", layers: 1, layerSize: 10, subject: subject,
            configMediaType: "application/vnd.example.signature.config");

        var (all, response) = await ListAsync(repo, subject);
        using (response)
            Assert.False(response.Headers.Contains("OCI-Filters-Applied"));
        Assert.Equal(2, all.Count);
        var sbomEntry = all.Single(r => r.Digest == sbomDigest);
        Assert.Equal(OciManifest, sbomEntry.MediaType);
        Assert.Equal(sbom.Length, sbomEntry.Size);
        Assert.Equal("application/vnd.example.sbom", sbomEntry.ArtifactType);
        Assert.Equal("sbom", sbomEntry.Annotations!["org.example.kind"]);
        Assert.Equal("2024-01-01T00:00:00Z", sbomEntry.Annotations["org.opencontainers.image.created"]);
        var sigEntry = all.Single(r => r.Digest == sigDigest);
        Assert.Equal(sig.Length, sigEntry.Size);
        Assert.Equal("application/vnd.example.signature.config", sigEntry.ArtifactType);

        var (filtered, filteredResponse) = await ListAsync(repo, subject, "application/vnd.example.sbom");
        using (filteredResponse)
            Assert.Equal("artifactType", filteredResponse.Headers.GetValues("OCI-Filters-Applied").Single());
        Assert.Equal([sbomDigest], filtered.Select(r => r.Digest));
        var (none, noneResponse) = await ListAsync(repo, subject, "application/vnd.example.nothing");
        noneResponse.Dispose();
        Assert.Empty(none);

        // Deleting a referrer removes it from the listing.
        using (var del = await Client.DeleteAsync($"/v2/{repo}/manifests/{sbomDigest}"))
            Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);
        var (after, afterResponse) = await ListAsync(repo, subject);
        afterResponse.Dispose();
        Assert.Equal([sigDigest], after.Select(r => r.Digest));

        // Referrers of one repository are not listed in another.
        string other = AttackSupport.UniqueRepo("protocol/referrers");
        await Client.PushBlobAsync(other, [1]);
        var (elsewhere, elsewhereResponse) = await ListAsync(other, subject);
        elsewhereResponse.Dispose();
        Assert.Empty(elsewhere);
    }

    [Fact]
    public async Task PushWithSubject_ReturnsOciSubjectHeader_EvenWhenSubjectIsNotThereYet()
    {
        string repo = AttackSupport.UniqueRepo("protocol/referrers");
        string missingSubject = RegistryTestClient.Sha256(Encoding.UTF8.GetBytes("subject pushed later"));
        var body = await Client.MinimalManifestAsync(repo,
            $",\"artifactType\":\"application/vnd.example.x\",\"subject\":{{\"mediaType\":\"{OciManifest}\",\"digest\":\"{missingSubject}\",\"size\":10}}");
        using (var put = await Client.PutManifestAsync(repo, RegistryTestClient.Sha256(body), body, OciManifest))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal(missingSubject, put.Headers.GetValues("OCI-Subject").Single());
        }
        var (items, response) = await ListAsync(repo, missingSubject);
        response.Dispose();
        Assert.Equal([RegistryTestClient.Sha256(body)], items.Select(r => r.Digest));

        // A push without subject has no OCI-Subject header.
        var plain = await Client.MinimalManifestAsync(repo);
        using var plainPut = await Client.PutManifestAsync(repo, "plain", plain, OciManifest);
        Assert.False(plainPut.Headers.Contains("OCI-Subject"));
    }

    [Fact]
    public async Task IndexReferrer_WithArtifactType_IsListed()
    {
        string repo = AttackSupport.UniqueRepo("protocol/referrers");
        var (_, subject) = await Client.PushImageAsync(repo, "app", layers: 1, layerSize: 10);
        var (_, child) = await Client.PushImageAsync(repo, "child", layers: 1, layerSize: 10);
        var index = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{OciIndex}}","artifactType":"application/vnd.example.bundle","manifests":[{"mediaType":"{{OciManifest}}","digest":"{{child}}","size":1}],"subject":{"mediaType":"{{OciManifest}}","digest":"{{subject}}","size":1},"annotations":{"k":"v"} }""");
        using (var put = await Client.PutManifestAsync(repo, "bundle", index, OciIndex))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var (items, response) = await ListAsync(repo, subject);
        response.Dispose();
        var entry = Assert.Single(items);
        Assert.Equal(OciIndex, entry.MediaType);
        Assert.Equal("application/vnd.example.bundle", entry.ArtifactType);
        Assert.Equal("v", entry.Annotations!["k"]);
    }

    [Fact]
    public async Task UnknownSubjectOrRepository_Is200EmptyIndex()
    {
        string repo = AttackSupport.UniqueRepo("protocol/referrers");
        await Client.PushImageAsync(repo, "app", layers: 1, layerSize: 10);
        string unknown = RegistryTestClient.Sha256(Encoding.UTF8.GetBytes("nobody refers to me"));
        var (items, response) = await ListAsync(repo, unknown);
        response.Dispose();
        Assert.Empty(items);
        var (items2, response2) = await ListAsync("protocol/referrers/never-existed", unknown);
        response2.Dispose();
        Assert.Empty(items2);
    }

    [Theory]
    [InlineData("sha256:nothex")]
    [InlineData("latest")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("sha256:..%2F..%2Fetc")]
    public async Task BadSubjectDigest_Is400(string digest)
    {
        using var response = await Client.GetAsync($"/v2/protocol/referrers/x/referrers/{digest}");
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task ManyReferrers_ArePaged_WithALinkHeader_ThatWalksEveryOneOnce_KeepingTheFilter()
    {
        string repo = AttackSupport.UniqueRepo("protocol/referrers-paged");
        var (_, subject) = await Client.PushImageAsync(repo, "app", layers: 1, layerSize: 10);
        var pushed = new HashSet<string>();
        for (int i = 0; i < 7; i++)
        {
            var (_, d) = await Client.PushImageAsync(repo, $"r{i}", layers: 1, layerSize: 10, subject: subject,
                artifactType: i % 2 == 0 ? "application/vnd.example.even" : "application/vnd.example.odd");
            pushed.Add(d);
        }

        var walked = new List<string>();
        string? url = $"/v2/{repo}/referrers/{subject}?n=3";
        int requests = 0;
        while (url is not null && requests++ < 10)
        {
            using var response = await Client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var page = doc.RootElement.GetProperty("manifests").EnumerateArray().Select(m => m.GetProperty("digest").GetString()!).ToList();
            Assert.InRange(page.Count, 1, 3);
            walked.AddRange(page);
            url = response.Headers.TryGetValues("Link", out var links) ? NextOf(links.Single()) : null;
        }
        Assert.Equal(3, requests);
        Assert.Equal(pushed.Order(), walked.Order());
        Assert.Equal(walked.Count, walked.Distinct().Count());

        // The filter stays on the next page.
        var even = new List<string>();
        url = $"/v2/{repo}/referrers/{subject}?n=2&artifactType={Uri.EscapeDataString("application/vnd.example.even")}";
        while (url is not null && even.Count < 10)
        {
            using var response = await Client.GetAsync(url);
            Assert.Equal("artifactType", response.Headers.GetValues("OCI-Filters-Applied").Single());
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            even.AddRange(doc.RootElement.GetProperty("manifests").EnumerateArray().Select(m => m.GetProperty("digest").GetString()!));
            url = response.Headers.TryGetValues("Link", out var links) ? NextOf(links.Single()) : null;
        }
        Assert.Equal(4, even.Count);

        using var bad = await Client.GetAsync($"/v2/{repo}/referrers/{subject}?n=2&last=not-a-digest");
        await bad.AssertErrorAsync(HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
    }

    private static string NextOf(string link)
    {
        Assert.EndsWith("rel=\"next\"", link, StringComparison.Ordinal);
        return link[(link.IndexOf('<', StringComparison.Ordinal) + 1)..link.IndexOf('>', StringComparison.Ordinal)];
    }
}
