using Bollard.Core.Oci;
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
        var session = await _store.StartUploadAsync(default);
        await session.AppendAsync(new MemoryStream("x"u8.ToArray()), null, null, default);
        var d = Digest.Sha256Of("x"u8);
        await session.CommitAsync(d, null, default);
        Assert.True(File.Exists(Path.Combine(_root, "blobs", "sha256", d.Hex[..2], d.Hex)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "uploads")));
    }
}
