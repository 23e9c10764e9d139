using System.Text;
using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Trust.Signatures;
using Bollard.Trust.Signing;

namespace Bollard.Trust.Tests.Signing;

public sealed class SignatureAttacherTests
{
    private static readonly Digest Image = Digest.Sha256Of("image"u8);
    private static readonly SigningInput Subject = new("registry.example:5000", "team/app", Image, MediaTypes.OciManifest, 123, DateTimeOffset.UnixEpoch);
    private static readonly string SigTag = $"sha256-{Image.Hex}.sig";

    private static CosignLayer Layer(int n) => new(
        Encoding.UTF8.GetBytes($"{{\"critical\":{{\"image\":{{\"docker-manifest-digest\":\"{Image}\"}},\"type\":\"cosign container image signature\"}},\"optional\":{{\"n\":{n}}}}}"),
        new Dictionary<string, string> { ["dev.cosignproject.cosign/signature"] = Convert.ToBase64String(BitConverter.GetBytes(n)) + "+/=" });

    private static JsonElement[] Layers(ArtifactManifest manifest) =>
        JsonDocument.Parse(manifest.Body).RootElement.GetProperty("layers").EnumerateArray().ToArray();

    [Fact]
    public async Task Cosign_AppendsOneLayerPerSignature_KeepsEarlierLayersByteExact_AndSkipsAnIdenticalOne()
    {
        var sink = new InMemoryArtifactSink();
        var attacher = new SignatureAttacher(sink, new SignatureAttacherOptions());

        var first = await attacher.AttachAsync(Subject, Layer(1), default);
        Assert.Equal(SigTag, first.Tag);
        Assert.False(first.AlreadyPresent);
        var one = (await sink.GetManifestAsync("team/app", SigTag, default))!;
        string firstLayerJson = Layers(one)[0].GetRawText();

        await attacher.AttachAsync(Subject, Layer(2), default);
        var again = await attacher.AttachAsync(Subject, Layer(1), default);
        Assert.True(again.AlreadyPresent);

        var two = (await sink.GetManifestAsync("team/app", SigTag, default))!;
        Assert.Equal(two.Digest, again.Manifest);
        var layers = Layers(two);
        Assert.Equal(2, layers.Length);
        Assert.Contains(firstLayerJson, Encoding.UTF8.GetString(two.Body), StringComparison.Ordinal);
        Assert.Equal("application/vnd.dev.cosign.simplesigning.v1+json", layers[1].GetProperty("mediaType").GetString());
        Assert.Contains("+/=\"", Encoding.UTF8.GetString(two.Body), StringComparison.Ordinal); // base64 written literally, as cosign does

        // The config is cosign's (go-containerregistry's) empty image config with one diff_id per layer, and it is stored.
        var root = JsonDocument.Parse(two.Body).RootElement;
        Assert.Equal(MediaTypes.OciManifest, root.GetProperty("mediaType").GetString());
        var configDigest = Digest.Parse(root.GetProperty("config").GetProperty("digest").GetString());
        var config = JsonDocument.Parse(sink.Blobs[configDigest]).RootElement;
        Assert.Equal(layers.Select(l => l.GetProperty("digest").GetString()), config.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(2, config.GetProperty("history").GetArrayLength());
        foreach (var l in layers) Assert.True(sink.Blobs.ContainsKey(Digest.Parse(l.GetProperty("digest").GetString())));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Cosign_TenConcurrentSigners_LoseNothing(bool enforcesConditions)
    {
        var sink = new InMemoryArtifactSink(enforcesConditions);
        var attacher = new SignatureAttacher(sink, new SignatureAttacherOptions { MaxAttempts = 200 });

        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() => attacher.AttachAsync(Subject, Layer(i), default))));

        var manifest = (await sink.GetManifestAsync("team/app", SigTag, default))!;
        var payloads = Layers(manifest).Select(l => l.GetProperty("digest").GetString()).ToHashSet();
        Assert.Equal(10, payloads.Count);
        foreach (int i in Enumerable.Range(0, 10)) Assert.Contains(Digest.Sha256Of(Layer(i).Payload).ToString(), payloads);
    }

    [Fact]
    public async Task Cosign_PastTheLayerCap_IsRefusedWithTheReason_AndTheManifestStays()
    {
        var sink = new InMemoryArtifactSink();
        var attacher = new SignatureAttacher(sink, new SignatureAttacherOptions { MaxSignatureLayers = 3 });
        for (int i = 0; i < 3; i++) await attacher.AttachAsync(Subject, Layer(i), default);
        var before = (await sink.GetManifestAsync("team/app", SigTag, default))!.Digest;

        var e = await Assert.ThrowsAsync<SignatureAttachException>(() => attacher.AttachAsync(Subject, Layer(3), default));
        Assert.Contains("already holds 3 signatures", e.Message, StringComparison.Ordinal);
        Assert.Contains("MaxSignatureLayers", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, (await sink.GetManifestAsync("team/app", SigTag, default))!.Digest);
    }

    [Fact]
    public async Task Cosign_PastTheByteCap_IsRefused()
    {
        var sink = new InMemoryArtifactSink();
        var attacher = new SignatureAttacher(sink, new SignatureAttacherOptions { MaxManifestBytes = 4096 });
        var big = new CosignLayer("{}"u8.ToArray(), new Dictionary<string, string> { ["dev.cosignproject.cosign/signature"] = new string('A', 5000) });
        var e = await Assert.ThrowsAsync<SignatureAttachException>(() => attacher.AttachAsync(Subject, big, default));
        Assert.Contains("over the limit of 4096 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cosign_TagHoldingAnIndex_IsRefused()
    {
        var sink = new InMemoryArtifactSink();
        await sink.PutManifestAsync("team/app", SigTag, MediaTypes.OciIndex, """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"""u8.ToArray(), null, default);
        var e = await Assert.ThrowsAsync<SignatureAttachException>(() => new SignatureAttacher(sink, new()).AttachAsync(Subject, Layer(1), default));
        Assert.Contains("not a cosign signature manifest", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cosign_ATagThatKeepsMoving_GivesUpAfterTheAttempts()
    {
        var sink = new AlwaysConflictingSink();
        var e = await Assert.ThrowsAsync<SignatureAttachException>(() => new SignatureAttacher(sink, new() { MaxAttempts = 3 }).AttachAsync(Subject, Layer(1), default));
        Assert.Contains("under 3 attempts", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, sink.Puts);
    }

    private static ReferrerArtifact Bundle => new(SignatureFormat.SigstoreBundle, "application/vnd.dev.sigstore.bundle.v0.3+json", "application/vnd.dev.sigstore.bundle.v0.3+json",
        "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}"u8.ToArray(), new Dictionary<string, string> { ["dev.sigstore.bundle.content"] = "dsse-envelope" });

    [Fact]
    public async Task Referrer_IsAManifestWithTheEnvelopeAsItsLayer_AndTheImageAsSubject()
    {
        var sink = new InMemoryArtifactSink();
        var result = await new SignatureAttacher(sink, new()).AttachAsync(Subject, Bundle, default);
        Assert.Null(result.Tag);
        var referrers = await sink.ListReferrersAsync("team/app", Image, 10, default);
        var r = Assert.Single(referrers);
        Assert.Equal(result.Manifest, r.Digest);
        var root = JsonDocument.Parse((await sink.GetManifestAsync("team/app", r.Digest.ToString(), default))!.Body).RootElement;
        Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", root.GetProperty("artifactType").GetString());
        Assert.Equal(MediaTypes.OciEmpty, root.GetProperty("config").GetProperty("mediaType").GetString());
        Assert.Equal(Digest.Sha256Of(Bundle.Envelope).ToString(), root.GetProperty("layers")[0].GetProperty("digest").GetString());
        Assert.Equal(123, root.GetProperty("subject").GetProperty("size").GetInt64());
        Assert.Equal("dsse-envelope", root.GetProperty("annotations").GetProperty("dev.sigstore.bundle.content").GetString());
        Assert.True(sink.Blobs.ContainsKey(Digest.Sha256Of("{}"u8)));

        Assert.True((await new SignatureAttacher(sink, new()).AttachAsync(Subject, Bundle, default)).AlreadyPresent);
    }

    [Fact]
    public async Task Referrer_WithoutTheReferrersApi_IsListedInTheFallbackIndexOnce()
    {
        var sink = new InMemoryArtifactSink(supportsReferrers: false);
        var attacher = new SignatureAttacher(sink, new());
        var result = await attacher.AttachAsync(Subject, Bundle, default);
        Assert.Equal($"sha256-{Image.Hex}", result.Tag);
        await attacher.AttachAsync(Subject, Bundle, default);
        var index = JsonDocument.Parse((await sink.GetManifestAsync("team/app", result.Tag!, default))!.Body).RootElement;
        var entry = Assert.Single(index.GetProperty("manifests").EnumerateArray());
        Assert.Equal(result.Manifest.ToString(), entry.GetProperty("digest").GetString());
        Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", entry.GetProperty("artifactType").GetString());
    }

    /// <summary>Every conditional PUT loses the race.</summary>
    private sealed class AlwaysConflictingSink : IArtifactSink
    {
        public int Puts { get; private set; }

        public bool EnforcesConditions => true;

        public bool SupportsReferrers => true;

        public Task PutBlobAsync(string repository, Digest digest, ReadOnlyMemory<byte> content, CancellationToken ct) => Task.CompletedTask;

        public Task<Digest> PutManifestAsync(string repository, string reference, string mediaType, byte[] body, Bollard.Core.Registry.TagCondition? condition, CancellationToken ct)
        {
            Puts++;
            throw new ArtifactConflictException("moved");
        }

        public Task<ArtifactManifest?> GetManifestAsync(string repository, string reference, CancellationToken ct) => Task.FromResult<ArtifactManifest?>(null);

        public Task<IReadOnlyList<ArtifactReferrer>> ListReferrersAsync(string repository, Digest subject, int max, CancellationToken ct) => Task.FromResult<IReadOnlyList<ArtifactReferrer>>([]);

        public Task<byte[]> ReadBlobAsync(string repository, Digest digest, long maxBytes, CancellationToken ct) => throw new FileNotFoundException();
    }
}
