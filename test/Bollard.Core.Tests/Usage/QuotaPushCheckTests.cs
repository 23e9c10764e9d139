using System.Text;
using System.Text.Json.Nodes;
using Bollard.Core.Auth;
using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Registry.Hooks;
using Bollard.Core.Tests.Auth;
using Bollard.Core.Tests.Registry;
using Bollard.Core.Tests.Support;
using Bollard.Core.Usage;
using Bollard.Core.Usage.Quotas;

namespace Bollard.Core.Tests.Usage;

/// <summary>Quotas through the registry services over in-memory metadata: refusals leave nothing, every matching quota applies, usage follows pushes and deletes.</summary>
public sealed class QuotaPushCheckTests
{
    private static readonly RegistryActor Alice = new("alice", "10.0.0.1");
    private readonly FakeTimeProvider _time = new();
    private readonly InMemoryMetadataStore _store = new();
    private readonly InMemoryBlobStore _blobs;
    private readonly QuotaExceededOutbox _outbox;
    private readonly ManifestService _manifests;
    private readonly BlobService _blobService;
    private readonly RepositoryService _repositories;

    public QuotaPushCheckTests()
    {
        _blobs = new InMemoryBlobStore(_time);
        _outbox = new QuotaExceededOutbox(_store);
        IPushCheck[] checks = [new QuotaPushCheck(_outbox, _time)];
        _manifests = new ManifestService(_store, _store, _store, new StoredManifestReader(_store), checks, new AllowAllPullGate(), new RegistryOptions(), _time);
        _blobService = new BlobService(_blobs, _store, new InMemoryUploadStore(), _store, new InMemoryBlobPins(), new RegistryOptions(), _time, [new QuotaUploadCheck(_store)]);
        _repositories = new RepositoryService(_store, checks, _blobService, _time);
    }

    private async Task<Digest> BlobAsync(RepositoryName repo, byte[] data)
    {
        var digest = Digest.Sha256Of(data);
        await _blobService.UploadMonolithicAsync(repo, digest, new MemoryStream(data), data.Length, Alice, default);
        return digest;
    }

    private static byte[] Image(params (Digest Digest, int Size)[] blobs) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["schemaVersion"] = 2, ["mediaType"] = MediaTypes.OciManifest,
        ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = blobs[0].Digest.ToString(), ["size"] = blobs[0].Size },
        ["layers"] = new JsonArray(blobs.Skip(1).Select(b => (JsonNode)new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar", ["digest"] = b.Digest.ToString(), ["size"] = b.Size }).ToArray()),
    }.ToJsonString());

    /// <summary>Appends what the outbox holds (as the hosted writer does), then stops.</summary>
    private async Task DrainOutboxAsync()
    {
        using var cts = new CancellationTokenSource();
        long head = await _store.HeadAsync(default);
        var run = _outbox.RunAsync(cts.Cancel, cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(await _store.HeadAsync(default) > head);
    }

    [Fact]
    public async Task Push_OverOneOfTwoMatchingQuotas_Denied_NothingStored_QuotaExceededOnlyAfterTheRollback()
    {
        var repo = RepositoryName.Parse("team/app");
        var config = Encoding.UTF8.GetBytes("{\"os\":\"linux\"}");
        var layer = new byte[5000];
        var c = await BlobAsync(repo, config);
        var l = await BlobAsync(repo, layer);
        var body = Image((c, config.Length), (l, layer.Length));
        long blobs = config.Length + layer.Length;
        await _store.SetAsync(NamespacePattern.Parse("**"), 1L << 30, default);
        await _store.SetAsync(NamespacePattern.Parse("team/*"), blobs + body.Length - 1, default);
        long head = await _store.HeadAsync(default);

        var e = await Assert.ThrowsAsync<OciException>(() => _manifests.PutAsync(repo, Reference.Parse("v1"), body, MediaTypes.OciManifest, Alice, default));
        string expected = $"quota {ByteSize.Format(blobs + body.Length - 1)} for team/* exceeded: {ByteSize.Format(blobs + body.Length, roundUp: true)} after this push";
        Assert.Equal("DENIED", e.Error.Code);
        Assert.Equal(expected, e.Error.Message);
        Assert.Equal(head, await _store.HeadAsync(default)); // nothing yet: the event waits for its own transaction
        Assert.Null(await _store.GetByTagAsync(repo, "v1", default));
        Assert.Null(await _store.GetAsync(repo, Digest.Sha256Of(body), default));

        await DrainOutboxAsync();
        var events = _store.AllEvents.Where(x => x.Sequence > head).ToList();
        var only = Assert.Single(events);
        Assert.Equal(RegistryEventKind.QuotaExceeded, only.Kind);
        Assert.Equal(expected, only.Detail);
        Assert.Equal(blobs + body.Length, only.Size);
        Assert.Equal("v1", only.Tag);

        // One byte more of room and it fits; the same manifest again (a new tag) adds nothing, even over the limit.
        await _store.SetAsync(NamespacePattern.Parse("team/*"), blobs + body.Length, default);
        await _manifests.PutAsync(repo, Reference.Parse("v1"), body, MediaTypes.OciManifest, Alice, default);
        await _store.SetAsync(NamespacePattern.Parse("team/*"), 1, default);
        await _manifests.PutAsync(repo, Reference.Parse("v2"), body, MediaTypes.OciManifest, Alice, default);
        // Now at the limit: uploads are refused from the start, with the message.
        var refused = await Assert.ThrowsAsync<OciException>(() => _blobService.StartUploadAsync(repo, "alice", default));
        Assert.StartsWith("quota 1 B for team/* exceeded", refused.Error.Message, StringComparison.Ordinal);
        // Another repository under no full quota still takes uploads.
        await _blobService.StartUploadAsync(RepositoryName.Parse("other/app"), "alice", default);
    }

    [Fact]
    public async Task Usage_AfterRandomPushesDeletesAndRepositoryDeletes_EqualsARecount()
    {
        var random = new Random(7);
        string[] repos = ["a/one", "a/two", "b/three", "c"];
        var pool = Enumerable.Range(0, 8).Select(i => Encoding.UTF8.GetBytes($"blob-{i}-{new string('x', i * 37)}")).ToArray();
        // The model: what each repository links and stores, from the services' answers only.
        var links = repos.ToDictionary(r => r, _ => new Dictionary<Digest, long>(), StringComparer.Ordinal);
        var stored = repos.ToDictionary(r => r, _ => new Dictionary<Digest, long>(), StringComparer.Ordinal);
        var exists = new HashSet<string>(StringComparer.Ordinal);
        for (int step = 0; step < 120; step++)
        {
            string r = repos[random.Next(repos.Length)];
            var repo = RepositoryName.Parse(r);
            int op = random.Next(10);
            if (op < 4)
            {
                var data = pool[random.Next(pool.Length)];
                links[r][await BlobAsync(repo, data)] = data.Length;
                exists.Add(r);
            }
            else if (op < 7 && links[r].Count > 0)
            {
                var parts = links[r].Take(1 + random.Next(links[r].Count)).Select(p => (p.Key, (int)p.Value)).ToArray();
                var body = Image(parts);
                var (digest, _) = await _manifests.PutAsync(repo, Reference.Parse($"t{random.Next(3)}"), body, MediaTypes.OciManifest, Alice, default);
                stored[r][digest] = body.Length;
            }
            else if (op < 9 && stored[r].Count > 0)
            {
                var digest = stored[r].Keys.First();
                try
                {
                    await _manifests.DeleteAsync(repo, Reference.Parse(digest.ToString()), Alice, default);
                    stored[r].Remove(digest);
                }
                catch (OciException) { } // an index refers to it: not in this test's images
            }
            else if (exists.Contains(r))
            {
                await _repositories.DeleteAsync(repo, Alice, default);
                links[r].Clear();
                stored[r].Clear();
                exists.Remove(r);
            }

            foreach (string name in repos)
            {
                var expected = exists.Contains(name) ? Recount(n => n == name) : null;
                Assert.Equal(expected, await _store.GetRepositoryAsync(RepositoryName.Parse(name), default));
            }
            Assert.Equal(Recount(_ => true), await _store.GetRegistryAsync(default));
            foreach (var ns in await _store.ListNamespacesAsync(default))
                Assert.Equal(Recount(n => UsageNamespaces.Of(RepositoryName.Parse(n)) == ns.Namespace), ns.Usage);
        }

        StorageUsage Recount(Func<string, bool> inScope)
        {
            var inside = new Dictionary<Digest, long>();
            var outside = new HashSet<Digest>();
            long manifestBytes = 0, manifests = 0;
            foreach (string name in repos.Where(exists.Contains))
            {
                if (!inScope(name)) { outside.UnionWith(links[name].Keys); continue; }
                foreach (var (d, size) in links[name]) inside[d] = size;
                manifestBytes += stored[name].Values.Sum();
                manifests += stored[name].Count;
            }
            return new StorageUsage(inside.Values.Sum() + manifestBytes, inside.Where(b => !outside.Contains(b.Key)).Sum(b => b.Value) + manifestBytes,
                manifestBytes, manifests, inside.Count);
        }
    }
}
