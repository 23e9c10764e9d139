using System.Net;
using System.Text.Json.Nodes;
using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Registry.Hooks;
using Bollard.Core.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.IntegrationTests.Lifecycle;

/// <summary>
/// <c>DELETE /api/v1/repositories/{name}</c> (issue 7) over the real server: everything in the repository goes with
/// its normal events and the catalog stops listing it; a push check's refusal deletes nothing.
/// </summary>
public sealed class RepositoryDeleteTests : IAsyncLifetime
{
    private BollardServer _server = null!;
    private readonly RefuseTagCheck _check = new();

    public async Task InitializeAsync() => _server = await BollardServer.StartAsync(services: s => s.AddSingleton<IPushCheck>(_check));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private IEventStore Events => _server.Services.GetRequiredService<IEventStore>();

    private async Task<List<RegistryEvent>> EventsAfterAsync(long after) => [.. await Events.ReadAsync(after, 10_000, default)];

    [Fact]
    public async Task Delete_RemovesTagsManifestsReferrersLinksAndUploads_WithTheirEvents_AndTheCatalogNoLongerListsIt()
    {
        string repo = AttackSupport.UniqueRepo("lifecycle/del");
        string other = AttackSupport.UniqueRepo("lifecycle/keep");
        var c = _server.Client;
        var (v1, v1Digest) = await c.PushImageAsync(repo, "v1");
        var (_, v2Digest) = await c.PushImageAsync(repo, "v2");
        await c.PushImageAsync(repo, "v1-copy");
        using (var untag = await c.DeleteAsync($"/v2/{repo}/manifests/v1-copy")) Assert.Equal(HttpStatusCode.Accepted, untag.StatusCode); // an untagged manifest
        var (_, sigDigest) = await c.PushImageAsync(repo, "sig", subject: v1Digest, artifactType: "application/vnd.test.sig");
        string layer = JsonNode.Parse(v1)!["layers"]![0]!["digest"]!.GetValue<string>();
        // The same layer linked into another repository too: it must stay linked there.
        using (var mount = await c.PostAsync($"/v2/{other}/blobs/uploads/?mount={layer}&from={repo}", null))
            Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        using var upload = await c.PostAsync($"/v2/{repo}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        string uploadLocation = upload.Headers.Location!.OriginalString;
        long before = await Events.HeadAsync(default);

        using var response = await c.DeleteAsync($"/api/v1/repositories/{repo}");
        var body = await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "delete repository");
        Assert.Equal(4, body["manifests"]!.GetValue<int>());
        Assert.Equal(3, body["tags"]!.GetValue<int>());
        Assert.Equal(1, body["uploadsCancelled"]!.GetValue<int>());
        int links = body["blobLinks"]!.GetValue<int>();
        Assert.Equal(4 * 3, links); // each image: its own config and two layers

        var catalog = JsonNode.Parse(await c.GetStringAsync("/v2/_catalog?n=1000"))!["repositories"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.DoesNotContain(repo, catalog);
        Assert.Contains(other, catalog);
        using (var tags = await c.GetAsync($"/v2/{repo}/tags/list"))
            Assert.Equal("NAME_UNKNOWN", await tags.ErrorCodeAsync());
        using (var manifest = await c.GetAsync($"/v2/{repo}/manifests/{v2Digest}"))
            Assert.Equal(HttpStatusCode.NotFound, manifest.StatusCode);
        using (var patch = await c.PatchAsync(uploadLocation, new ByteArrayContent([1, 2, 3])))
            Assert.Equal("BLOB_UPLOAD_UNKNOWN", await patch.ErrorCodeAsync());

        // GC-ready: the repository links nothing; the shared layer is still linked where it is used.
        var repositories = _server.Services.GetRequiredService<IRepositoryStore>();
        Assert.Equal([RepositoryName.Parse(other)], await repositories.ListLinkingAsync(Digest.Parse(layer), 10, default));

        var events = (await EventsAfterAsync(before)).Where(e => e.Repository?.Value == repo).ToList();
        Assert.Equal(RegistryEventKind.RepositoryDeleted, events[^1].Kind);
        Assert.Equal(4, events.Count(e => e.Kind == RegistryEventKind.ManifestDeleted));
        Assert.Contains(events, e => e.Kind == RegistryEventKind.ManifestDeleted && e.Digest == Digest.Parse(sigDigest));
        Assert.Equal(["sig", "v1", "v2"], events.Where(e => e.Kind == RegistryEventKind.TagDeleted).Select(e => e.Tag!).Order(StringComparer.Ordinal));
        Assert.All(events.Where(e => e.Kind == RegistryEventKind.TagDeleted), e => Assert.Equal(RegistryEvent.CascadeDetail, e.Detail));
        Assert.Equal(links, events.Count(e => e.Kind == RegistryEventKind.BlobDeleted));

        // The checks were asked about every tag, and about the untagged manifest with no tag.
        Assert.Equal(["sig", "v1", "v2"], _check.Asked.Where(a => a.Item1 == repo && a.Item2 is not null).Select(a => a.Item2!).Order(StringComparer.Ordinal));
        Assert.Single(_check.Asked, a => a.Item1 == repo && a.Item2 is null);

        using var again = await c.DeleteAsync($"/api/v1/repositories/{repo}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Delete_RefusedByAPushCheck_DeletesNothing_AndSaysWhy()
    {
        string repo = AttackSupport.UniqueRepo("lifecycle/guarded");
        var c = _server.Client;
        await c.PushImageAsync(repo, "v1");
        var (_, protectedDigest) = await c.PushImageAsync(repo, "keep-me");
        long before = await Events.HeadAsync(default);

        using var response = await c.DeleteAsync($"/api/v1/repositories/{repo}");
        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("tag keep-me is protected by the test", text, StringComparison.Ordinal);

        Assert.Equal(before, await Events.HeadAsync(default));
        var tags = JsonNode.Parse(await c.GetStringAsync($"/v2/{repo}/tags/list"))!["tags"]!.AsArray().Select(t => t!.GetValue<string>());
        Assert.Equal(["keep-me", "v1"], tags.Order(StringComparer.Ordinal));
        using (var manifest = await c.GetAsync($"/v2/{repo}/manifests/{protectedDigest}")) Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
    }

    /// <summary>Refuses deleting one tag name, and remembers what it was asked about repository deletes.</summary>
    private sealed class RefuseTagCheck : IPushCheck
    {
        public string Refused { get; } = "keep-me";
        public System.Collections.Concurrent.ConcurrentBag<(string, string?)> Asked { get; } = [];

        public ValueTask<PushCheckResult> CheckAsync(PushCheckContext context, CancellationToken ct)
        {
            if (context.Change != RegistryChange.DeleteRepository) return new(PushCheckResult.Allow);
            Asked.Add((context.Repository.Value, context.Tag));
            return new(context.Tag is { } tag && tag == Refused ? PushCheckResult.Refuse($"tag {tag} is protected by the test") : PushCheckResult.Allow);
        }
    }
}
