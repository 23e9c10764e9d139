using System.Text;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Tests.Auth;

namespace Bollard.Core.Tests.Registry;

/// <summary>Session policy in <see cref="BlobService"/>: the per-principal cap (B14) and expiry (A1), for every backend.</summary>
public sealed class BlobServiceUploadTests
{
    private static readonly RepositoryName Repo = RepositoryName.Parse("team/app");
    private readonly FakeTimeProvider _time = new();
    private readonly InMemoryBlobStore _store;
    private readonly InMemoryUploadStore _uploads = new();
    private readonly Support.InMemoryMetadataStore _repositories = new();

    public BlobServiceUploadTests() => _store = new InMemoryBlobStore(_time);

    private BlobService Service(int maxOpen = 100) =>
        new(_store, _repositories, _uploads, _repositories, new Support.InMemoryBlobPins(), new RegistryOptions { MaxOpenUploadsPerPrincipal = maxOpen }, _time);

    [Fact]
    public async Task StartUpload_OverCap_TooManyRequests_AndNothingCreated()
    {
        var service = Service(maxOpen: 2);
        await service.StartUploadAsync(Repo, "alice", default);
        var second = await service.StartUploadAsync(Repo, "alice", default);
        var e = await Assert.ThrowsAsync<OciException>(() => service.StartUploadAsync(Repo, "alice", default));
        Assert.Equal(429, e.Error.HttpStatus);
        Assert.Contains("MaxOpenUploadsPerPrincipal", e.Detail, StringComparison.Ordinal);
        Assert.Equal(2, _store.UploadCount);
        Assert.Equal(2, await _uploads.CountByOwnerAsync("alice", default));

        // Another principal has its own budget; closing a session frees one.
        await service.StartUploadAsync(Repo, "bob", default);
        await service.CancelUploadAsync(Repo, second.Id, "alice", default);
        await service.StartUploadAsync(Repo, "alice", default);
    }

    [Fact]
    public async Task Purge_RemovesExpiredSessionsAndStrayData_KeepsFresh()
    {
        var service = Service();
        var old = await service.StartUploadAsync(Repo, "alice", default);
        string stray = BlobUploader.NewId();
        await _store.CreateUploadAsync(stray, default); // data without a session (a crash between data and row)
        _time.Advance(TimeSpan.FromHours(2));
        var fresh = await service.StartUploadAsync(Repo, "alice", default);
        string freshStray = BlobUploader.NewId();
        await _store.CreateUploadAsync(freshStray, default);

        int removed = await service.PurgeExpiredUploadsAsync(TimeSpan.FromHours(1), default);

        Assert.Equal(2, removed);
        Assert.Null(await _uploads.GetAsync(old.Id, default));
        Assert.Null(await _store.GetUploadSizeAsync(old.Id, default));
        Assert.Null(await _store.GetUploadSizeAsync(stray, default));
        Assert.NotNull(await _uploads.GetAsync(fresh.Id, default));
        Assert.NotNull(await _store.GetUploadSizeAsync(fresh.Id, default));
        Assert.NotNull(await _store.GetUploadSizeAsync(freshStray, default));
        var e = await Assert.ThrowsAsync<OciException>(() => service.GetUploadAsync(Repo, old.Id, "alice", default));
        Assert.Equal("BLOB_UPLOAD_UNKNOWN", e.Error.Code);
    }

    [Fact]
    public async Task Purge_TouchedSession_Survives()
    {
        var service = Service();
        var upload = await service.StartUploadAsync(Repo, "alice", default);
        _time.Advance(TimeSpan.FromMinutes(50));
        await service.AppendAsync(Repo, upload.Id, "alice", new MemoryStream("abc"u8.ToArray()), 0, 3, default);
        _time.Advance(TimeSpan.FromMinutes(50));
        Assert.Equal(0, await service.PurgeExpiredUploadsAsync(TimeSpan.FromHours(1), default));
        var info = await service.CompleteUploadAsync(Repo, upload.Id, "alice", Digest.Sha256Of("abc"u8), null, null, null, RegistryActor.Unknown, default);
        Assert.Equal(3, info.Size);
        Assert.True(await _repositories.IsBlobLinkedAsync(Repo, info.Digest, default));
    }

    [Fact]
    public async Task Session_OnlyItsRepositoryAndOwner_MayUseIt()
    {
        var service = Service();
        var upload = await service.StartUploadAsync(Repo, "alice", default);
        var otherOwner = await Assert.ThrowsAsync<OciException>(() => service.GetUploadAsync(Repo, upload.Id, "mallory", default));
        Assert.Equal("BLOB_UPLOAD_UNKNOWN", otherOwner.Error.Code);
        var otherRepo = await Assert.ThrowsAsync<OciException>(() => service.GetUploadAsync(RepositoryName.Parse("other/app"), upload.Id, "alice", default));
        Assert.Equal("BLOB_UPLOAD_UNKNOWN", otherRepo.Error.Code);
    }

    [Fact]
    public async Task Monolithic_WrongDigest_LeavesNothing()
    {
        var service = Service();
        var e = await Assert.ThrowsAsync<OciException>(() =>
            service.UploadMonolithicAsync(Repo, Digest.Sha256Of("other"u8), new MemoryStream(Encoding.UTF8.GetBytes("hello")), 5, RegistryActor.Unknown, default));
        Assert.Equal("DIGEST_INVALID", e.Error.Code);
        Assert.Equal(0, _store.UploadCount);
        Assert.Equal(0, _store.BlobCount);
    }
}
