using System.Text;
using Bollard.Core.Mirror;
using Bollard.Core.Mirror.Sync;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;

namespace Bollard.Core.Tests.Mirror;

public class MirrorSyncerTests
{
    private const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";
    private const string Index = "application/vnd.oci.image.index.v1+json";

    private static readonly MirrorRouter Router = new(new MirrorOptions { Upstreams = [new UpstreamOptions { Name = "up", Url = "http://127.0.0.1:1" }] });
    private static readonly RepositoryName Repo = RepositoryName.Parse("mirror/up/team/app");

    private readonly FakeManifests _manifests = new();
    private readonly FakeBlobs _blobs = new();
    private readonly FakeRepositories _repositories = new();
    private readonly List<MirrorSyncProgress> _reports = [];

    private MirrorSyncer Syncer() => new(_manifests, _blobs, _repositories, TimeProvider.System);

    private static MirrorSyncTarget Target(string reference) =>
        MirrorSyncTarget.TryParse(Router, reference, out var t, out var problem) ? t! : throw new InvalidOperationException(problem);

    private static List<string> S(params Digest[] digests) => digests.Select(d => d.ToString()).Order(StringComparer.Ordinal).ToList();

    private ValueTask Report(MirrorSyncProgress p, CancellationToken ct)
    {
        _reports.Add(p);
        return ValueTask.CompletedTask;
    }

    private Digest Blob(string content) => _blobs.Add(Encoding.UTF8.GetBytes(content));

    private Digest Image(string name, out Digest config, out Digest layer, string? sharedLayer = null)
    {
        config = Blob($"{{\"config\":\"{name}\"}}");
        layer = Blob(sharedLayer ?? $"layer of {name} " + new string('x', 200_000));
        string json = $$"""
            {"schemaVersion":2,"mediaType":"{{ImageManifest}}",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{config}}","size":{{_blobs.Size(config)}}},
             "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{layer}}","size":{{_blobs.Size(layer)}}}]}
            """;
        return _manifests.Add(json, ImageManifest, null);
    }

    private Digest IndexOf(string tag, params (Digest Digest, string Platform)[] children)
    {
        string entries = string.Join(",", children.Select(c =>
        {
            var parts = c.Platform.Split('/');
            string variant = parts.Length == 3 ? $",\"variant\":\"{parts[2]}\"" : "";
            return $$$"""{"mediaType":"{{{ImageManifest}}}","digest":"{{{c.Digest}}}","size":{{{_manifests.Size(c.Digest)}}},"platform":{"os":"{{{parts[0]}}}","architecture":"{{{parts[1]}}}"{{{variant}}}}}""";
        }));
        return _manifests.Add($$"""{"schemaVersion":2,"mediaType":"{{Index}}","manifests":[{{entries}}]}""", Index, tag);
    }

    [Fact]
    public async Task Sync_OnePlatformOfAnIndex_FetchesOnlyItsManifestAndBlobs()
    {
        var amd = Image("amd64", out var amdConfig, out var amdLayer);
        var arm = Image("arm64", out var armConfig, out var armLayer);
        var index = IndexOf("1.0", (amd, "linux/amd64"), (arm, "linux/arm64/v8"));

        var result = await Syncer().SyncAsync(Target("up/team/app:1.0"), [new MirrorPlatform("linux", "amd64", null)], Report, CancellationToken.None);

        Assert.Equal(["1.0", amd.ToString()], _manifests.Asked);
        Assert.Equal(S(amdConfig, amdLayer), S([.. _blobs.Drained.Keys]));
        Assert.DoesNotContain(armConfig, _blobs.Opened);
        Assert.DoesNotContain(armLayer, _blobs.Opened);
        Assert.Equal(_blobs.Size(amdConfig) + _blobs.Size(amdLayer), result.Bytes);
        Assert.Equal(result.Bytes, result.BytesTotal);
        Assert.Equal(["linux/amd64"], result.Platforms);
        Assert.Equal((2, 2, 2, 0), (result.Manifests, result.ManifestsTotal, result.Blobs, result.BlobsCached));
        Assert.Equal("done", result.Phase);
        Assert.Equal(1, result.Fraction);
        Assert.Equal(index.ToString(), result.Digest);
        Assert.True(_reports.Count >= 3);
        Assert.Equal(_blobs.Size(amdLayer), _blobs.Drained[amdLayer]);
    }

    [Fact]
    public async Task Sync_AllPlatforms_SharedBlobOnce_CachedBlobsNotReadAgain()
    {
        string shared = "shared base layer " + new string('s', 1000);
        var amd = Image("amd64", out var amdConfig, out var sharedLayer, shared);
        var arm = Image("arm64", out var armConfig, out _, shared);
        IndexOf("latest", (amd, "linux/amd64"), (arm, "linux/arm64"));
        _repositories.Linked.Add(amdConfig);

        var result = await Syncer().SyncAsync(Target("up/team/app"), [], Report, CancellationToken.None);

        Assert.Equal(3, result.BlobsTotal);
        Assert.Equal(1, result.BlobsCached);
        Assert.Equal(2, result.Blobs);
        Assert.Equal(S(armConfig, sharedLayer), S([.. _blobs.Opened]));
        Assert.Equal(["linux/amd64", "linux/arm64"], result.Platforms);
        Assert.Equal(_blobs.Size(amdConfig), result.BytesCached);
    }

    [Fact]
    public async Task Sync_SingleImageByTag_FetchesItsBlobs()
    {
        var image = Image("single", out var config, out var layer);
        _manifests.Tag("v1", image);
        var result = await Syncer().SyncAsync(Target("up/team/app:v1"), [new MirrorPlatform("linux", "s390x", null)], Report, CancellationToken.None);
        // A platform filter means nothing for a single image: it is what it is.
        Assert.Equal(S(config, layer), S([.. _blobs.Opened]));
        Assert.Empty(result.Platforms);
    }

    [Fact]
    public async Task Sync_PlatformNotInIndex_FailsNamingWhatItHas()
    {
        var amd = Image("amd64", out _, out _);
        IndexOf("1.0", (amd, "linux/amd64"));
        var e = await Assert.ThrowsAsync<MirrorSyncException>(() =>
            Syncer().SyncAsync(Target("up/team/app:1.0"), [new MirrorPlatform("linux", "riscv64", null)], Report, CancellationToken.None));
        Assert.Contains("has no linux/riscv64 (it has linux/amd64)", e.Message, StringComparison.Ordinal);
        Assert.Empty(_blobs.Opened);
    }

    [Fact]
    public async Task Sync_NoSuchManifest_Fails()
    {
        var e = await Assert.ThrowsAsync<MirrorSyncException>(() => Syncer().SyncAsync(Target("up/team/app:nope"), [], Report, CancellationToken.None));
        Assert.Contains("up/team/app:nope: the upstream has no such manifest", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sync_Cancelled_StopsBeforeTheNextBlob()
    {
        var image = Image("single", out _, out _);
        _manifests.Tag("v1", image);
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Syncer().SyncAsync(Target("up/team/app:v1"), [], (p, ct) =>
        {
            if (p.Phase == "blobs") cts.Cancel();
            return ValueTask.CompletedTask;
        }, cts.Token));
        Assert.Empty(_blobs.Opened);
    }

    private sealed class FakeManifests : IManifestReader
    {
        private readonly Dictionary<string, ManifestRecord> _byRef = new(StringComparer.Ordinal);

        public List<string> Asked { get; } = [];

        public Digest Add(string json, string mediaType, string? tag)
        {
            byte[] body = Encoding.UTF8.GetBytes(json);
            var digest = Digest.Sha256Of(body);
            var record = new ManifestRecord(digest, mediaType, body, null, null, null, DateTimeOffset.UnixEpoch);
            _byRef[digest.ToString()] = record;
            if (tag is not null) _byRef[tag] = record;
            return digest;
        }

        public void Tag(string tag, Digest digest) => _byRef[tag] = _byRef[digest.ToString()];

        public long Size(Digest digest) => _byRef[digest.ToString()].Size;

        public ValueTask<ManifestRecord?> GetAsync(RepositoryName repository, Reference reference, CancellationToken ct)
        {
            Assert.Equal(Repo, repository);
            Asked.Add(reference.ToString());
            return ValueTask.FromResult(_byRef.GetValueOrDefault(reference.ToString()));
        }
    }

    private sealed class FakeBlobs : IBlobReader
    {
        private readonly Dictionary<Digest, byte[]> _blobs = [];

        public List<Digest> Opened { get; } = [];
        public Dictionary<Digest, long> Drained { get; } = [];

        public Digest Add(byte[] content)
        {
            var digest = Digest.Sha256Of(content);
            _blobs[digest] = content;
            return digest;
        }

        public long Size(Digest digest) => _blobs[digest].LongLength;

        public Task<BlobInfo> StatAsync(RepositoryName repository, Digest digest, CancellationToken ct) =>
            Task.FromResult(new BlobInfo(digest, _blobs[digest].LongLength));

        public Task<Stream> OpenAsync(RepositoryName repository, Digest digest, ByteRange? range, CancellationToken ct)
        {
            Assert.Null(range);
            Opened.Add(digest);
            return Task.FromResult<Stream>(new CountingStream(_blobs[digest], n => Drained[digest] = Drained.GetValueOrDefault(digest) + n));
        }

        public Task<Uri?> GetRedirectUriAsync(RepositoryName repository, Digest digest, CancellationToken ct) => Task.FromResult<Uri?>(null);
    }

    private sealed class CountingStream(byte[] content, Action<int> read) : MemoryStream(content, writable: false)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = await base.ReadAsync(buffer, cancellationToken);
            read(n);
            return n;
        }
    }

    private sealed class FakeRepositories : IRepositoryStore
    {
        public HashSet<Digest> Linked { get; } = [];

        public ValueTask<bool> ExistsAsync(RepositoryName repository, CancellationToken ct) => ValueTask.FromResult(true);

        public ValueTask<IReadOnlyList<string>> ListAsync(string? last, int limit, CancellationToken ct) => ValueTask.FromResult<IReadOnlyList<string>>([]);

        public ValueTask<bool> IsBlobLinkedAsync(RepositoryName repository, Digest digest, CancellationToken ct) => ValueTask.FromResult(Linked.Contains(digest));

        public ValueTask<IReadOnlyList<RepositoryName>> ListLinkingAsync(Digest digest, int limit, CancellationToken ct) => ValueTask.FromResult<IReadOnlyList<RepositoryName>>([]);
    }
}
