using System.Text;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;

namespace Bollard.Core.Tests.Registry;

/// <summary>The upload logic of issue 6 A1/A3 over the in-memory thin store: everything a backend no longer does.</summary>
public sealed class BlobUploaderTests
{
    private readonly InMemoryBlobStore _store = new();
    private readonly BlobUploader _uploader;

    public BlobUploaderTests() => _uploader = new BlobUploader(_store);

    private static MemoryStream Bytes(string s) => new(Encoding.UTF8.GetBytes(s));
    private static Digest Sha(string s) => Digest.Sha256Of(Encoding.UTF8.GetBytes(s));

    private async Task<string> StartAsync()
    {
        string id = BlobUploader.NewId();
        await _uploader.CreateAsync(id, default);
        return id;
    }

    [Fact]
    public void NewId_Is32LowerHex_AndFresh()
    {
        string a = BlobUploader.NewId(), b = BlobUploader.NewId();
        Assert.Matches("^[0-9a-f]{32}$", a);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public async Task Commit_HashedWhileStreaming_InstallsVerifiedBlob()
    {
        string id = await StartAsync();
        Assert.Equal(3, await _uploader.AppendAsync(id, Bytes("abc"), 0, 3, default));
        Assert.Equal(6, await _uploader.AppendAsync(id, Bytes("def"), 3, null, default));
        var info = await _uploader.CommitAsync(id, Sha("abcdef"), 6, default);
        Assert.Equal(new BlobInfo(Sha("abcdef"), 6), info);
        Assert.Equal("abcdef"u8.ToArray(), _store.BlobBytes(Sha("abcdef")));
        Assert.Equal(0, _store.UploadCount);
        Assert.Equal(0, _uploader.StaleCacheCount);
    }

    [Fact]
    public async Task Commit_WrongDigest_RemovesDataAndLeavesNoBlob()
    {
        string id = await StartAsync();
        await _uploader.AppendAsync(id, Bytes("hello"), null, null, default);
        var e = await Assert.ThrowsAsync<OciException>(async () => await _uploader.CommitAsync(id, Sha("other"), null, default));
        Assert.Equal("DIGEST_INVALID", e.Error.Code);
        Assert.Equal(0, _store.BlobCount);
        Assert.Equal(0, _store.UploadCount);
        Assert.Null(await _uploader.GetLengthAsync(id, default));
    }

    [Fact]
    public async Task Commit_WrongSize_SizeInvalid()
    {
        string id = await StartAsync();
        await _uploader.AppendAsync(id, Bytes("hello"), null, null, default);
        var e = await Assert.ThrowsAsync<OciException>(async () => await _uploader.CommitAsync(id, Sha("hello"), 6, default));
        Assert.Equal("SIZE_INVALID", e.Error.Code);
        Assert.Equal(0, _store.BlobCount);
    }

    [Fact]
    public async Task Commit_Sha512_VerifiedByRehash()
    {
        var content = Encoding.UTF8.GetBytes("sha512 content");
        string id = await StartAsync();
        await _uploader.AppendAsync(id, new MemoryStream(content), null, null, default);
        var d = Digest.Compute(DigestAlgorithm.Sha512, content);
        await _uploader.CommitAsync(id, d, content.Length, default);
        Assert.Equal(content, _store.BlobBytes(d));
    }

    [Fact]
    public async Task Commit_Twice_SecondIsUnknown()
    {
        string id = await StartAsync();
        await _uploader.AppendAsync(id, Bytes("x"), null, null, default);
        await _uploader.CommitAsync(id, Sha("x"), null, default);
        var e = await Assert.ThrowsAsync<OciException>(async () => await _uploader.CommitAsync(id, Sha("x"), null, default));
        Assert.Equal("BLOB_UPLOAD_UNKNOWN", e.Error.Code);
    }

    [Fact]
    public async Task Append_OutOfOrder_416_NothingWritten()
    {
        string id = await StartAsync();
        await _uploader.AppendAsync(id, Bytes("abc"), 0, 3, default);
        var ahead = await Assert.ThrowsAsync<OciException>(async () => await _uploader.AppendAsync(id, Bytes("xyz"), 5, 3, default));
        Assert.Equal(416, ahead.Error.HttpStatus);
        var again = await Assert.ThrowsAsync<OciException>(async () => await _uploader.AppendAsync(id, Bytes("abc"), 0, 3, default));
        Assert.Equal(416, again.Error.HttpStatus);
        Assert.Equal(3, await _uploader.GetLengthAsync(id, default));
        await _uploader.AppendAsync(id, Bytes("def"), 3, 3, default);
        await _uploader.CommitAsync(id, Sha("abcdef"), null, default);
    }

    [Theory]
    [InlineData("defgh")] // longer than declared
    [InlineData("d")]     // shorter than declared
    public async Task Append_LengthMismatch_RollsBackBytesAndHash(string chunk)
    {
        string id = await StartAsync();
        await _uploader.AppendAsync(id, Bytes("abc"), 0, 3, default);
        var e = await Assert.ThrowsAsync<OciException>(async () => await _uploader.AppendAsync(id, Bytes(chunk), 3, 3, default));
        Assert.Equal("SIZE_INVALID", e.Error.Code);
        Assert.Equal(3, await _uploader.GetLengthAsync(id, default));
        await _uploader.AppendAsync(id, Bytes("def"), 3, 3, default);
        await _uploader.CommitAsync(id, Sha("abcdef"), 6, default);
    }

    [Fact]
    public async Task Append_ReaderFails_RollsBack()
    {
        string id = await StartAsync();
        await _uploader.AppendAsync(id, Bytes("abc"), null, null, default);
        await Assert.ThrowsAsync<IOException>(async () => await _uploader.AppendAsync(id, new FailingStream("zzzz"u8.ToArray()), null, null, default));
        Assert.Equal(3, await _uploader.GetLengthAsync(id, default));
        await _uploader.AppendAsync(id, Bytes("def"), null, null, default);
        await _uploader.CommitAsync(id, Sha("abcdef"), null, default);
    }

    [Fact]
    public async Task Append_DataGone_UploadUnknown()
    {
        string id = await StartAsync();
        await _store.DeleteUploadAsync(id, default);
        var e = await Assert.ThrowsAsync<OciException>(async () => await _uploader.AppendAsync(id, Bytes("abc"), null, null, default));
        Assert.Equal("BLOB_UPLOAD_UNKNOWN", e.Error.Code);
    }

    [Fact]
    public async Task Cancel_IsIdempotent_AndSafeAfterCommit()
    {
        string id = await StartAsync();
        await _uploader.AppendAsync(id, Bytes("abc"), null, null, default);
        await _uploader.CancelAsync(id, default);
        await _uploader.CancelAsync(id, default);
        Assert.Equal(0, _store.UploadCount);

        string kept = await StartAsync();
        await _uploader.AppendAsync(kept, Bytes("keep"), null, null, default);
        await _uploader.CommitAsync(kept, Sha("keep"), null, default);
        await _uploader.CancelAsync(kept, default);
        Assert.NotNull(_store.BlobBytes(Sha("keep")));
    }

    // ---- A3: process memory is a cache, never the truth ----

    [Fact]
    public async Task OtherNode_AppendsBehindTheCache_NextChunkSeesTrueOffset()
    {
        string id = await StartAsync();
        await _uploader.AppendAsync(id, Bytes("abc"), 0, 3, default);
        _store.AppendBehindTheBack(id, "def"u8); // another node took the chunk at offset 3

        // This process's cache says 3; the stored data says 6. The chunk for offset 3 is refused (416)...
        var stale = await Assert.ThrowsAsync<OciException>(async () => await _uploader.AppendAsync(id, Bytes("XYZ"), 3, 3, default));
        Assert.Equal(416, stale.Error.HttpStatus);
        // ...the one for the true offset is accepted, and the digest covers what is really stored.
        Assert.Equal(9, await _uploader.AppendAsync(id, Bytes("ghi"), 6, 3, default));
        await _uploader.CommitAsync(id, Sha("abcdefghi"), 9, default);
        Assert.Equal("abcdefghi"u8.ToArray(), _store.BlobBytes(Sha("abcdefghi")));
        Assert.Equal(1, _uploader.StaleCacheCount);
    }

    [Fact]
    public async Task OtherNode_AppendsBehindTheCache_CommitOfCachedDigestIsRefused()
    {
        string id = await StartAsync();
        await _uploader.AppendAsync(id, Bytes("abc"), null, null, default);
        _store.AppendBehindTheBack(id, "def"u8);

        // The cached hash is sha256("abc"); committing that digest must not install "abcdef" under it.
        var e = await Assert.ThrowsAsync<OciException>(async () => await _uploader.CommitAsync(id, Sha("abc"), null, default));
        Assert.Equal("DIGEST_INVALID", e.Error.Code);
        Assert.Null(_store.BlobBytes(Sha("abc")));
        Assert.Equal(0, _store.BlobCount);
    }

    [Fact]
    public async Task OtherNode_AppendsBehindTheCache_CommitOfTrueDigestSucceeds()
    {
        string id = await StartAsync();
        await _uploader.AppendAsync(id, Bytes("abc"), null, null, default);
        _store.AppendBehindTheBack(id, "def"u8);
        var info = await _uploader.CommitAsync(id, Sha("abcdef"), null, default);
        Assert.Equal(6, info.Size);
        Assert.Equal("abcdef"u8.ToArray(), _store.BlobBytes(Sha("abcdef")));
    }

    [Fact]
    public async Task SessionPickedUpByAnotherNode_RehashesWhatIsThere()
    {
        string id = await StartAsync();
        await _uploader.AppendAsync(id, Bytes("abc"), 0, 3, default);
        var other = new BlobUploader(_store); // a second node (or this one after a restart): no cache
        Assert.Equal(6, await other.AppendAsync(id, Bytes("def"), 3, 3, default));
        // Back on the first node: its cache (3 bytes) is stale and must be rebuilt, not trusted.
        Assert.Equal(9, await _uploader.AppendAsync(id, Bytes("ghi"), 6, 3, default));
        await _uploader.CommitAsync(id, Sha("abcdefghi"), null, default);
        Assert.Equal(1, _uploader.StaleCacheCount);
    }

    [Fact]
    public async Task ConcurrentWriterHoldsTheData_ChunkRefusedCleanly()
    {
        string id = await StartAsync();
        await _uploader.AppendAsync(id, Bytes("abc"), null, null, default);
        await using (var foreign = await _store.OpenUploadWriterAsync(id, 3, default))
        {
            var e = await Assert.ThrowsAsync<OciException>(async () => await _uploader.AppendAsync(id, Bytes("def"), 3, 3, default));
            Assert.Equal(416, e.Error.HttpStatus);
            var c = await Assert.ThrowsAsync<OciException>(async () => await _uploader.CommitAsync(id, Sha("abc"), null, default));
            Assert.Equal("BLOB_UPLOAD_INVALID", c.Error.Code);
        }
        Assert.Equal(0, _store.BlobCount);
    }

    private sealed class FailingStream(byte[] first) : Stream
    {
        private bool _served;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_served) throw new IOException("client went away");
            _served = true;
            first.CopyTo(buffer, offset);
            return first.Length;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
