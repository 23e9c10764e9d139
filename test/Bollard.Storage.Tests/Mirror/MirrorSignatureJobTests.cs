using System.Collections.Concurrent;
using Bollard.Core.Jobs;
using Bollard.Core.Mirror;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;

namespace Bollard.Storage.Tests.Mirror;

/// <summary>A mirrored image's cosign tags and OCI referrers follow it, as a durable job, with their blobs; bounded.</summary>
public sealed class MirrorSignatureJobTests : IDisposable
{
    private readonly MirrorTestbed _m = new();
    private readonly RecordingBlobReader _blobs = new();

    public void Dispose() => _m.Dispose();

    private async Task<JobRecord?> ClaimAsync() =>
        (await _m.Jobs.ClaimAsync("test", [MirrorSignatureJob.JobKind], 10, TimeSpan.FromMinutes(1), default)).SingleOrDefault();

    private MirrorSignatureJob Job() => new(new MirrorSignatureSync(_m.Reader, _blobs, _m.Repositories, _m.Fake), _m.Router);

    [Fact]
    public async Task NewImage_QueuesOneJob_ItsSignaturesAndReferrers_DoNot()
    {
        var image = _m.Fake.Put(FakeUpstreamRegistry.Image("app"), tag: "1");
        var referrer = _m.Fake.Put(FakeUpstreamRegistry.Image("sbom", new Descriptor(MediaTypes.OciManifest, image, 100), "application/spdx+json"));
        _m.Fake.Put(FakeUpstreamRegistry.Image("sig"), tag: $"sha256-{image.Hex}.sig");

        await _m.PullAsync("1");
        await _m.PullAsync(image.ToString());
        await _m.PullAsync($"sha256-{image.Hex}.sig");
        await _m.PullAsync(referrer.ToString());

        var job = Assert.Single(await _m.Jobs.ListAsync(MirrorSignatureJob.JobKind, 10, default));
        Assert.Equal((MirrorTestbed.Repo, image), MirrorSignatureJob.ParsePayload(job.Payload));
    }

    [Fact]
    public async Task MirrorSignaturesOff_QueuesNothing()
    {
        using var m = new MirrorTestbed(u => u.MirrorSignatures = false);
        m.Fake.Put(FakeUpstreamRegistry.Image("app"), tag: "1");
        await m.PullAsync("1");
        Assert.Empty(await m.Jobs.ListAsync(MirrorSignatureJob.JobKind, 10, default));
    }

    [Fact]
    public async Task Job_BringsCosignTagsAndReferrers_WithTheirBlobs()
    {
        var image = _m.Fake.Put(FakeUpstreamRegistry.Image("app"), tag: "1");
        var sig = _m.Fake.Put(FakeUpstreamRegistry.Image("sig"), tag: $"sha256-{image.Hex}.sig");
        var att = _m.Fake.Put(FakeUpstreamRegistry.Image("att"), tag: $"sha256-{image.Hex}.att");
        var bundle = FakeUpstreamRegistry.Image("bundle", new Descriptor(MediaTypes.OciManifest, image, 100), "application/vnd.dev.sigstore.bundle.v0.3+json");
        var referrer = _m.Fake.Put(bundle);
        _m.Fake.AddReferrer(image, new Descriptor(MediaTypes.OciManifest, referrer, bundle.Length) { ArtifactType = "application/vnd.dev.sigstore.bundle.v0.3+json" });
        await _m.PullAsync("1");

        var job = (await ClaimAsync())!;
        await Job().RunAsync(new JobContext(job, _m.Jobs, "test"), default);

        Assert.Equal(sig, (await _m.Stored.GetAsync(MirrorTestbed.Repo, new Reference($"sha256-{image.Hex}.sig", null), default))!.Digest);
        Assert.Equal(att, (await _m.Stored.GetAsync(MirrorTestbed.Repo, new Reference($"sha256-{image.Hex}.att", null), default))!.Digest);
        var listed = Assert.Single(await _m.Service.ListReferrersAsync(MirrorTestbed.Repo, image, null, default));
        Assert.Equal((referrer, "application/vnd.dev.sigstore.bundle.v0.3+json"), (listed.Digest, listed.ArtifactType));
        // Each artifact's config and layer were read through the blob seam (the mirror's blob reader stores them).
        Assert.Equal(6, _blobs.Opened.Count);
        Assert.All(_blobs.Opened, r => Assert.Equal(MirrorTestbed.Repo, r.Repository));
        // The cosign tags are mirrored tags like any: revalidated after their TTL.
        Assert.NotNull(await _m.Tags.GetTagAsync(MirrorTestbed.Repo, $"sha256-{image.Hex}.sig", default));

        // Run again (a retry): what came is cached, not fetched again; only the two tags the upstream lacks are asked again.
        int gets = _m.Fake.Gets;
        await Job().RunAsync(new JobContext(job, _m.Jobs, "test"), default);
        Assert.Equal(2, _m.Fake.Gets - gets);
    }

    [Fact]
    public async Task Job_IsBounded_InArtifactsAndBlobSize()
    {
        var image = _m.Fake.Put(FakeUpstreamRegistry.Image("app"), tag: "1");
        for (int i = 0; i < MirrorSignatureSync.MaxArtifacts + 10; i++)
        {
            var body = FakeUpstreamRegistry.Image($"r{i}", new Descriptor(MediaTypes.OciManifest, image, 100), "application/example");
            _m.Fake.AddReferrer(image, new Descriptor(MediaTypes.OciManifest, _m.Fake.Put(body), body.Length));
        }
        await _m.PullAsync("1");
        int before = _m.Fake.Gets;

        await Job().RunAsync(new JobContext((await ClaimAsync())!, _m.Jobs, "test"), default);

        // The four cosign tags count against the budget only when they exist (none here): 32 referrers.
        Assert.Equal(4 + MirrorSignatureSync.MaxArtifacts, _m.Fake.Gets - before);
        Assert.Equal(MirrorSignatureSync.MaxArtifacts, (await _m.Service.ListReferrersAsync(MirrorTestbed.Repo, image, null, default)).Count);
    }

    [Fact]
    public async Task Job_UpstreamDown_Fails_SoTheJobIsRetried()
    {
        var image = _m.Fake.Put(FakeUpstreamRegistry.Image("app"), tag: "1");
        await _m.PullAsync("1");
        _m.Fake.Down = new UpstreamException(UpstreamFailure.Unreachable, "refused");

        var job = (await ClaimAsync())!;
        var e = await Assert.ThrowsAsync<OciException>(() => Job().RunAsync(new JobContext(job, _m.Jobs, "test"), default));
        Assert.Equal(OciErrors.UpstreamUnreachable, e.Error);
        Assert.Empty(await _m.Service.ListReferrersAsync(MirrorTestbed.Repo, image, null, default));
    }

    [Fact]
    public async Task Job_ABlobFails_EveryManifestStillComes_ThenTheJobFails()
    {
        var image = _m.Fake.Put(FakeUpstreamRegistry.Image("app"), tag: "1");
        var sig = _m.Fake.Put(FakeUpstreamRegistry.Image("sig"), tag: $"sha256-{image.Hex}.sig");
        var body = FakeUpstreamRegistry.Image("sbom", new Descriptor(MediaTypes.OciManifest, image, 100), "application/spdx+json");
        var referrer = _m.Fake.Put(body);
        _m.Fake.AddReferrer(image, new Descriptor(MediaTypes.OciManifest, referrer, body.Length));
        await _m.PullAsync("1");
        _blobs.Missing = true;

        var e = await Assert.ThrowsAsync<OciException>(async () => await Job().RunAsync(new JobContext((await ClaimAsync())!, _m.Jobs, "test"), default));
        Assert.Equal(OciErrors.BlobUnknown, e.Error);
        Assert.Equal(sig, (await _m.Stored.GetAsync(MirrorTestbed.Repo, new Reference($"sha256-{image.Hex}.sig", null), default))!.Digest);
        Assert.Equal(referrer, Assert.Single(await _m.Service.ListReferrersAsync(MirrorTestbed.Repo, image, null, default)).Digest);
    }

    private sealed class RecordingBlobReader : IBlobReader
    {
        public ConcurrentQueue<(RepositoryName Repository, Digest Digest)> Opened { get; } = new();
        public bool Missing { get; set; }

        public Task<BlobInfo> StatAsync(RepositoryName repository, Digest digest, CancellationToken ct) =>
            Missing ? throw new OciException(OciErrors.BlobUnknown, digest.ToString()) : Task.FromResult(new BlobInfo(digest, 3));

        public Task<Stream> OpenAsync(RepositoryName repository, Digest digest, ByteRange? range, CancellationToken ct)
        {
            Opened.Enqueue((repository, digest));
            return Task.FromResult<Stream>(new MemoryStream([1, 2, 3]));
        }

        public Task<Uri?> GetRedirectUriAsync(RepositoryName repository, Digest digest, CancellationToken ct) => Task.FromResult<Uri?>(null);
    }
}
