using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;
using Bollard.Storage.FileSystem;
using Bollard.Storage.Tests.Contracts;

namespace Bollard.Storage.Tests.FileSystem;

public sealed class FileSystemBlobStoreTests : BlobStoreContractTests
{
    private readonly string _root = Directory.CreateTempSubdirectory("bollard-fs-").FullName;
    private readonly FileSystemBlobStore _store;

    public FileSystemBlobStoreTests() => _store = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = _root });

    protected override IBlobStore Store => _store;

    protected override IBlobStore Reopen() => new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = _root });

    public override void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Commit_PlacesBlobUnderShardedPath_AndNoTempLeft()
    {
        string id = BlobUploader.NewId();
        await _store.CreateUploadAsync(id, default);
        Assert.True(File.Exists(Path.Combine(_root, "uploads", id)));
        await using (var writer = (await _store.OpenUploadWriterAsync(id, 0, default))!)
        {
            await writer.WriteAsync("x"u8.ToArray(), default);
            await writer.CompleteAsync(default);
        }
        var d = Digest.Sha256Of("x"u8);
        Assert.True(await _store.CommitUploadAsync(id, d, 1, default));
        Assert.True(File.Exists(Path.Combine(_root, "blobs", "sha256", d.Hex[..2], d.Hex)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "uploads")));
    }

    [Fact]
    public async Task RedirectUri_IsNull_FolderStreamsThroughBollard()
    {
        string id = BlobUploader.NewId();
        await _store.CreateUploadAsync(id, default);
        Assert.True(await _store.CommitUploadAsync(id, Digest.Sha256Of([]), 0, default));
        Assert.Null(await _store.GetRedirectUriAsync(Digest.Sha256Of([]), default));
    }

    [Fact]
    public async Task OpenRead_StreamHasNoLength_SizeComesFromStat()
    {
        string id = BlobUploader.NewId();
        await _store.CreateUploadAsync(id, default);
        Assert.True(await _store.CommitUploadAsync(id, Digest.Sha256Of([]), 0, default));
        await using var s = (await _store.OpenReadAsync(Digest.Sha256Of([]), null, default))!;
        Assert.False(s.CanSeek);
        Assert.Throws<NotSupportedException>(() => s.Length);
    }
}
