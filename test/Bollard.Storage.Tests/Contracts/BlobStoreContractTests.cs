using System.Text;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;

namespace Bollard.Storage.Tests.Contracts;

/// <summary>
/// Every blob store backend must pass these. They test the thin contract (a backend only moves bytes: blobs by
/// digest and range, upload data with a writer that appends at an offset, commit by move), and then Core's
/// <see cref="BlobUploader"/> over the backend, end to end. A backend's test class only says how to make one.
/// </summary>
public abstract class BlobStoreContractTests : IDisposable
{
    protected abstract IBlobStore Store { get; }

    /// <summary>A second store over the same data, as after a process restart or on another node.</summary>
    protected abstract IBlobStore Reopen();

    public abstract void Dispose();

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
    private static MemoryStream Bytes(string s) => new(Utf8(s));
    private static Digest Sha(string s) => Digest.Sha256Of(Utf8(s));

    private async Task<string> CreateAsync(string content = "")
    {
        string id = BlobUploader.NewId();
        await Store.CreateUploadAsync(id, default);
        if (content.Length > 0) await AppendAsync(id, 0, content);
        return id;
    }

    private async Task AppendAsync(string id, long offset, string content)
    {
        await using var writer = (await Store.OpenUploadWriterAsync(id, offset, default))!;
        await writer.WriteAsync(Utf8(content), default);
        await writer.CompleteAsync(default);
    }

    private async Task PutAsync(string content)
    {
        string id = await CreateAsync(content);
        Assert.True(await Store.CommitUploadAsync(id, Sha(content), Utf8(content).Length, default));
    }

    private static async Task<string> ReadAllAsync(Stream s)
    {
        await using (s) return await new StreamReader(s).ReadToEndAsync();
    }

    // ---- blobs: read contract (A2) ----

    [Fact]
    public async Task Commit_MovesDataToBlob_StatAndReadWhole()
    {
        await PutAsync("hello");
        Assert.Equal(new BlobInfo(Sha("hello"), 5), await Store.StatAsync(Sha("hello"), default));
        Assert.Equal("hello", await ReadAllAsync((await Store.OpenReadAsync(Sha("hello"), null, default))!));
    }

    [Theory]
    [InlineData(0, 10, "0123456789")]
    [InlineData(5, 5, "56789")]
    [InlineData(2, 3, "234")]
    [InlineData(9, 1, "9")]
    [InlineData(4, 0, "")]
    public async Task OpenRead_Range_YieldsExactlyTheRangeAndEnds(long offset, long length, string expected)
    {
        await PutAsync("0123456789");
        var s = (await Store.OpenReadAsync(Sha("0123456789"), new ByteRange(offset, length), default))!;
        Assert.Equal(expected, await ReadAllAsync(s));
    }

    [Fact]
    public async Task OpenRead_SmallReads_DeliverAllBytesForwardOnly()
    {
        await PutAsync("0123456789");
        await using var s = (await Store.OpenReadAsync(Sha("0123456789"), new ByteRange(1, 8), default))!;
        var got = new List<byte>();
        var buffer = new byte[3];
        int read;
        while ((read = await s.ReadAsync(buffer)) > 0) got.AddRange(buffer[..read]);
        Assert.Equal("12345678", Encoding.UTF8.GetString([.. got]));
    }

    [Fact]
    public async Task StatAndOpen_Unknown_Null()
    {
        Assert.Null(await Store.StatAsync(Sha("nothing"), default));
        Assert.Null(await Store.OpenReadAsync(Sha("nothing"), null, default));
        Assert.Null(await Store.OpenReadAsync(Sha("nothing"), new ByteRange(0, 1), default));
    }

    [Fact]
    public async Task RedirectUri_IsNullOrAbsolute()
    {
        await PutAsync("redirect");
        var uri = await Store.GetRedirectUriAsync(Sha("redirect"), default);
        Assert.True(uri is null || uri.IsAbsoluteUri);
    }

    [Fact]
    public async Task Delete_RemovesBlob_Idempotent()
    {
        await PutAsync("gone");
        Assert.True(await Store.DeleteAsync(Sha("gone"), default));
        Assert.False(await Store.DeleteAsync(Sha("gone"), default));
        Assert.Null(await Store.OpenReadAsync(Sha("gone"), null, default));
        Assert.Null(await Store.StatAsync(Sha("gone"), default));
    }

    [Fact]
    public async Task Enumerate_ListsCommittedBlobs()
    {
        await PutAsync("one");
        await PutAsync("two");
        Assert.Equal(new[] { Sha("one"), Sha("two") }.OrderBy(d => d.ToString()), (await ToListAsync(Store.EnumerateAsync(default))).OrderBy(d => d.ToString()));
    }

    // ---- upload data: the dumb writer (A1) ----

    [Fact]
    public async Task Create_EmptyData_SizeZero()
    {
        string id = await CreateAsync();
        Assert.Equal(0, await Store.GetUploadSizeAsync(id, default));
        Assert.Equal("", await ReadAllAsync((await Store.OpenUploadReadAsync(id, default))!));
    }

    [Fact]
    public async Task Create_SameIdTwice_Throws()
    {
        string id = await CreateAsync("abc");
        await Assert.ThrowsAsync<IOException>(async () => await Store.CreateUploadAsync(id, default));
        Assert.Equal(3, await Store.GetUploadSizeAsync(id, default));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../../etc/passwd")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("nope")]
    public async Task MalformedId_RefusedOrUnknown(string id)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.CreateUploadAsync(id, default));
        Assert.Null(await Store.GetUploadSizeAsync(id, default));
        Assert.Null(await Store.OpenUploadWriterAsync(id, 0, default));
        Assert.Null(await Store.OpenUploadReadAsync(id, default));
        Assert.False(await Store.DeleteUploadAsync(id, default));
        Assert.False(await Store.CommitUploadAsync(id, Sha(""), 0, default));
    }

    [Fact]
    public async Task UnknownId_NullOrFalse()
    {
        string id = BlobUploader.NewId();
        Assert.Null(await Store.GetUploadSizeAsync(id, default));
        Assert.Null(await Store.OpenUploadWriterAsync(id, 0, default));
        Assert.Null(await Store.OpenUploadReadAsync(id, default));
        Assert.False(await Store.CommitUploadAsync(id, Sha(""), 0, default));
        Assert.False(await Store.DeleteUploadAsync(id, default));
    }

    [Fact]
    public async Task Writer_Completed_AppendsInOrder()
    {
        string id = await CreateAsync("abc");
        await AppendAsync(id, 3, "def");
        Assert.Equal(6, await Store.GetUploadSizeAsync(id, default));
        Assert.Equal("abcdef", await ReadAllAsync((await Store.OpenUploadReadAsync(id, default))!));
    }

    [Fact]
    public async Task Writer_DisposedUncompleted_RollsBackToItsOffset()
    {
        string id = await CreateAsync("abc");
        await using (var writer = (await Store.OpenUploadWriterAsync(id, 3, default))!)
            await writer.WriteAsync(Utf8("zzzz"), default);
        Assert.Equal(3, await Store.GetUploadSizeAsync(id, default));
        await AppendAsync(id, 3, "def");
        Assert.Equal("abcdef", await ReadAllAsync((await Store.OpenUploadReadAsync(id, default))!));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Writer_WrongOffset_Conflict_NothingWritten(long offset)
    {
        string id = await CreateAsync("abc");
        await Assert.ThrowsAsync<UploadConflictException>(async () => await Store.OpenUploadWriterAsync(id, offset, default));
        Assert.Equal(3, await Store.GetUploadSizeAsync(id, default));
    }

    [Fact]
    public async Task Writer_SecondWhileFirstOpen_Conflict_AlsoFromAnotherInstance()
    {
        string id = await CreateAsync("abc");
        var other = Reopen();
        await using (var first = (await Store.OpenUploadWriterAsync(id, 3, default))!)
        {
            await Assert.ThrowsAsync<UploadConflictException>(async () => await Store.OpenUploadWriterAsync(id, 3, default));
            await Assert.ThrowsAsync<UploadConflictException>(async () => await other.OpenUploadWriterAsync(id, 3, default));
            await Assert.ThrowsAsync<UploadConflictException>(async () => await other.CommitUploadAsync(id, Sha("abc"), 3, default));
            await first.WriteAsync(Utf8("d"), default);
            await first.CompleteAsync(default);
        }
        await using var next = (await other.OpenUploadWriterAsync(id, 4, default))!;
    }

    [Fact]
    public async Task CommitUpload_SizeChanged_Conflict_NothingMoved()
    {
        string id = await CreateAsync("abcdef");
        await Assert.ThrowsAsync<UploadConflictException>(async () => await Store.CommitUploadAsync(id, Sha("abc"), 3, default));
        Assert.Null(await Store.StatAsync(Sha("abc"), default));
        Assert.Equal(6, await Store.GetUploadSizeAsync(id, default));
    }

    [Fact]
    public async Task CommitUpload_DataIsGoneAfterwards_AndBlobExistsAlready_DropsData()
    {
        string first = await CreateAsync("same");
        string second = await CreateAsync("same");
        Assert.True(await Store.CommitUploadAsync(first, Sha("same"), 4, default));
        Assert.True(await Store.CommitUploadAsync(second, Sha("same"), 4, default));
        Assert.Null(await Store.GetUploadSizeAsync(first, default));
        Assert.Null(await Store.GetUploadSizeAsync(second, default));
        Assert.Empty(await ToListAsync(Store.ListUploadsAsync(default)));
        Assert.Single(await ToListAsync(Store.EnumerateAsync(default)));
    }

    [Fact]
    public async Task ConcurrentCommits_OfSameContent_AllSucceed()
    {
        var ids = new List<string>();
        for (int i = 0; i < 16; i++) ids.Add(await CreateAsync("same content"));
        var results = await Task.WhenAll(ids.Select(id => Task.Run(async () => await Store.CommitUploadAsync(id, Sha("same content"), 12, default))));
        Assert.All(results, Assert.True);
        Assert.Single(await ToListAsync(Store.EnumerateAsync(default)));
        Assert.Equal("same content", await ReadAllAsync((await Store.OpenReadAsync(Sha("same content"), null, default))!));
    }

    [Fact]
    public async Task DeleteUpload_Idempotent()
    {
        string id = await CreateAsync("abc");
        Assert.True(await Store.DeleteUploadAsync(id, default));
        Assert.False(await Store.DeleteUploadAsync(id, default));
        Assert.Null(await Store.GetUploadSizeAsync(id, default));
    }

    [Fact]
    public async Task ListUploads_GivesSizeAndRecentLastModified()
    {
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        string a = await CreateAsync("abc");
        string b = await CreateAsync();
        var listed = (await ToListAsync(Store.ListUploadsAsync(default))).ToDictionary(u => u.Id);
        Assert.Equal(2, listed.Count);
        Assert.Equal(3, listed[a].Size);
        Assert.Equal(0, listed[b].Size);
        Assert.All(listed.Values, u => Assert.InRange(u.LastModified, before, DateTimeOffset.UtcNow.AddMinutes(1)));
    }

    [Fact]
    public async Task UploadData_SeenByAnotherInstance()
    {
        string id = await CreateAsync("abc");
        var other = Reopen();
        Assert.Equal(3, await other.GetUploadSizeAsync(id, default));
        await using (var w = (await other.OpenUploadWriterAsync(id, 3, default))!)
        {
            await w.WriteAsync(Utf8("def"), default);
            await w.CompleteAsync(default);
        }
        Assert.Equal(6, await Store.GetUploadSizeAsync(id, default));
    }

    // ---- Core's upload logic over this backend, end to end ----

    [Fact]
    public async Task Uploader_ChunksThenCommit_BlobReadable()
    {
        var uploader = new BlobUploader(Store);
        string id = BlobUploader.NewId();
        await uploader.CreateAsync(id, default);
        await uploader.AppendAsync(id, Bytes("abc"), 0, 3, default);
        await uploader.AppendAsync(id, Bytes("def"), 3, 3, default);
        Assert.Equal(new BlobInfo(Sha("abcdef"), 6), await uploader.CommitAsync(id, Sha("abcdef"), 6, default));
        Assert.Equal("abcdef", await ReadAllAsync((await Store.OpenReadAsync(Sha("abcdef"), null, default))!));
        Assert.Empty(await ToListAsync(Store.ListUploadsAsync(default)));
    }

    [Fact]
    public async Task Uploader_WrongDigest_LeavesNothing()
    {
        var uploader = new BlobUploader(Store);
        string id = BlobUploader.NewId();
        await uploader.CreateAsync(id, default);
        await uploader.AppendAsync(id, Bytes("hello"), null, null, default);
        var e = await Assert.ThrowsAsync<OciException>(async () => await uploader.CommitAsync(id, Sha("other"), null, default));
        Assert.Equal("DIGEST_INVALID", e.Error.Code);
        Assert.Empty(await ToListAsync(Store.EnumerateAsync(default)));
        Assert.Empty(await ToListAsync(Store.ListUploadsAsync(default)));
    }

    [Fact]
    public async Task Uploader_AfterRestart_ContinuesWithRehash()
    {
        var uploader = new BlobUploader(Store);
        string id = BlobUploader.NewId();
        await uploader.CreateAsync(id, default);
        await uploader.AppendAsync(id, Bytes("abc"), null, null, default);
        var other = Reopen();
        var resumed = new BlobUploader(other);
        Assert.Equal(3, await resumed.GetLengthAsync(id, default));
        await resumed.AppendAsync(id, Bytes("def"), 3, null, default);
        await resumed.CommitAsync(id, Sha("abcdef"), 6, default);
        Assert.NotNull(await other.StatAsync(Sha("abcdef"), default));
    }

    [Fact]
    public async Task Uploader_Sha512_Verified()
    {
        var content = Utf8("sha512 content");
        var uploader = new BlobUploader(Store);
        string id = BlobUploader.NewId();
        await uploader.CreateAsync(id, default);
        await uploader.AppendAsync(id, new MemoryStream(content), null, null, default);
        var d = Digest.Compute(DigestAlgorithm.Sha512, content);
        await uploader.CommitAsync(id, d, null, default);
        Assert.NotNull(await Store.StatAsync(d, default));
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var i in items) list.Add(i);
        return list;
    }
}
