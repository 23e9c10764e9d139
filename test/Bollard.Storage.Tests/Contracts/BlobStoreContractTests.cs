using System.Text;
using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Storage.Tests.Contracts;

/// <summary>Every blob store backend must pass these. A backend's test class only says how to make one.</summary>
public abstract class BlobStoreContractTests : IDisposable
{
    protected abstract IBlobStore Store { get; }

    /// <summary>A second store over the same data, as after a process restart.</summary>
    protected abstract IBlobStore Reopen();

    public abstract void Dispose();

    private static MemoryStream Bytes(string s) => new(Encoding.UTF8.GetBytes(s));
    private static Digest Sha(string s) => Digest.Sha256Of(Encoding.UTF8.GetBytes(s));

    private async Task<BlobInfo> PutAsync(string content)
    {
        var session = await Store.StartUploadAsync(default);
        await session.AppendAsync(Bytes(content), null, null, default);
        return await session.CommitAsync(Sha(content), null, default);
    }

    [Fact]
    public async Task Commit_RightDigest_BlobReadable()
    {
        var info = await PutAsync("hello");
        Assert.Equal(5, info.Size);
        Assert.Equal(5, (await Store.StatAsync(Sha("hello"), default))!.Size);
        await using var s = (await Store.OpenReadAsync(Sha("hello"), default))!;
        Assert.Equal("hello", await new StreamReader(s).ReadToEndAsync());
    }

    [Fact]
    public async Task OpenRead_IsSeekable_ForRanges()
    {
        await PutAsync("0123456789");
        await using var s = (await Store.OpenReadAsync(Sha("0123456789"), default))!;
        Assert.True(s.CanSeek);
        s.Seek(5, SeekOrigin.Begin);
        Assert.Equal("56789", await new StreamReader(s).ReadToEndAsync());
    }

    [Fact]
    public async Task Commit_WrongDigest_LeavesNothing()
    {
        var session = await Store.StartUploadAsync(default);
        await session.AppendAsync(Bytes("hello"), null, null, default);
        var e = await Assert.ThrowsAsync<OciException>(async () => await session.CommitAsync(Sha("other"), null, default));
        Assert.Equal("DIGEST_INVALID", e.Error.Code);
        Assert.Null(await Store.StatAsync(Sha("hello"), default));
        Assert.Null(await Store.StatAsync(Sha("other"), default));
        Assert.Null(await Store.ResumeUploadAsync(session.Id, default));
        Assert.Empty(await ToListAsync(Store.EnumerateAsync(default)));
    }

    [Fact]
    public async Task Commit_WrongSize_LeavesNothing()
    {
        var session = await Store.StartUploadAsync(default);
        await session.AppendAsync(Bytes("hello"), null, null, default);
        var e = await Assert.ThrowsAsync<OciException>(async () => await session.CommitAsync(Sha("hello"), 6, default));
        Assert.Equal("SIZE_INVALID", e.Error.Code);
        Assert.Null(await Store.StatAsync(Sha("hello"), default));
    }

    [Fact]
    public async Task Append_Chunks_ConcatenateInOrder()
    {
        var session = await Store.StartUploadAsync(default);
        Assert.Equal(3, await session.AppendAsync(Bytes("abc"), 0, 3, default));
        Assert.Equal(6, await session.AppendAsync(Bytes("def"), 3, 3, default));
        await session.CommitAsync(Sha("abcdef"), 6, default);
        Assert.NotNull(await Store.StatAsync(Sha("abcdef"), default));
    }

    [Fact]
    public async Task Append_OutOfOrder_Throws416AndKeepsSession()
    {
        var session = await Store.StartUploadAsync(default);
        await session.AppendAsync(Bytes("abc"), 0, 3, default);
        var e = await Assert.ThrowsAsync<OciException>(async () => await session.AppendAsync(Bytes("xyz"), 5, 3, default));
        Assert.Equal(416, e.Error.HttpStatus);
        var stale = await Assert.ThrowsAsync<OciException>(async () => await session.AppendAsync(Bytes("abc"), 0, 3, default));
        Assert.Equal(416, stale.Error.HttpStatus);
        Assert.Equal(3, session.Length);
        await session.AppendAsync(Bytes("def"), 3, 3, default);
        await session.CommitAsync(Sha("abcdef"), null, default);
    }

    [Fact]
    public async Task Append_LengthMismatch_RollsBackChunk()
    {
        var session = await Store.StartUploadAsync(default);
        await session.AppendAsync(Bytes("abc"), 0, 3, default);
        await Assert.ThrowsAsync<OciException>(async () => await session.AppendAsync(Bytes("defgh"), 3, 3, default));
        await Assert.ThrowsAsync<OciException>(async () => await session.AppendAsync(Bytes("d"), 3, 3, default));
        Assert.Equal(3, session.Length);
        await session.AppendAsync(Bytes("def"), 3, 3, default);
        await session.CommitAsync(Sha("abcdef"), null, default); // hash state was rolled back too
    }

    [Fact]
    public async Task Append_ReaderFails_RollsBackChunk()
    {
        var session = await Store.StartUploadAsync(default);
        await session.AppendAsync(Bytes("abc"), null, null, default);
        await Assert.ThrowsAsync<IOException>(async () => await session.AppendAsync(new FailingStream(Encoding.UTF8.GetBytes("zzzz")), null, null, default));
        Assert.Equal(3, session.Length);
        await session.AppendAsync(Bytes("def"), null, null, default);
        await session.CommitAsync(Sha("abcdef"), null, default);
    }

    [Fact]
    public async Task Resume_AfterRestart_ContinuesWithRehash()
    {
        var session = await Store.StartUploadAsync(default);
        await session.AppendAsync(Bytes("abc"), null, null, default);
        var other = Reopen();
        var resumed = await other.ResumeUploadAsync(session.Id, default);
        Assert.NotNull(resumed);
        Assert.Equal(3, resumed.Length);
        await resumed.AppendAsync(Bytes("def"), 3, null, default);
        await resumed.CommitAsync(Sha("abcdef"), 6, default);
        Assert.NotNull(await other.StatAsync(Sha("abcdef"), default));
    }

    [Fact]
    public async Task Commit_Sha512_Verified()
    {
        var content = Encoding.UTF8.GetBytes("sha512 content");
        var session = await Store.StartUploadAsync(default);
        await session.AppendAsync(new MemoryStream(content), null, null, default);
        var d = Digest.Compute(DigestAlgorithm.Sha512, content);
        await session.CommitAsync(d, null, default);
        Assert.NotNull(await Store.StatAsync(d, default));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../../etc/passwd")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    [InlineData("nope")]
    public async Task Resume_UnknownOrMalformedId_Null(string id) => Assert.Null(await Store.ResumeUploadAsync(id, default));

    [Fact]
    public async Task Cancel_IsIdempotent_AndRemovesSession()
    {
        var session = await Store.StartUploadAsync(default);
        await session.AppendAsync(Bytes("abc"), null, null, default);
        await session.CancelAsync(default);
        await session.CancelAsync(default);
        Assert.Null(await Store.ResumeUploadAsync(session.Id, default));
    }

    [Fact]
    public async Task Cancel_AfterCommit_KeepsBlob()
    {
        var session = await Store.StartUploadAsync(default);
        await session.AppendAsync(Bytes("keep"), null, null, default);
        await session.CommitAsync(Sha("keep"), null, default);
        await session.CancelAsync(default);
        Assert.NotNull(await Store.StatAsync(Sha("keep"), default));
    }

    [Fact]
    public async Task ConcurrentCommits_OfSameContent_AllSucceed()
    {
        var tasks = Enumerable.Range(0, 16).Select(_ => Task.Run(() => PutAsync("same content"))).ToArray();
        await Task.WhenAll(tasks);
        Assert.Single(await ToListAsync(Store.EnumerateAsync(default)));
    }

    [Fact]
    public async Task Delete_RemovesBlob_Idempotent()
    {
        await PutAsync("gone");
        Assert.True(await Store.DeleteAsync(Sha("gone"), default));
        Assert.False(await Store.DeleteAsync(Sha("gone"), default));
        Assert.Null(await Store.OpenReadAsync(Sha("gone"), default));
    }

    [Fact]
    public async Task PurgeUploads_RemovesOnlyOldUnkept()
    {
        var keep = await Store.StartUploadAsync(default);
        var drop = await Store.StartUploadAsync(default);
        var removed = await Store.PurgeUploadsAsync(DateTimeOffset.UtcNow.AddMinutes(1), new HashSet<string> { keep.Id }, default);
        Assert.Equal([drop.Id], removed);
        Assert.NotNull(await Store.ResumeUploadAsync(keep.Id, default));
        Assert.Null(await Store.ResumeUploadAsync(drop.Id, default));
        Assert.Empty(await Store.PurgeUploadsAsync(DateTimeOffset.UtcNow.AddMinutes(-1), new HashSet<string>(), default));
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var i in items) list.Add(i);
        return list;
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
