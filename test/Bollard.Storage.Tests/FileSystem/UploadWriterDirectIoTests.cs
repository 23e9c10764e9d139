using System.Runtime.InteropServices;
using Bollard.Core.Registry;
using Bollard.Storage.FileSystem;

namespace Bollard.Storage.Tests.FileSystem;

/// <summary>
/// The upload writer's two write paths (direct I/O in page-aligned blocks, and the page cache) store exactly the
/// bytes given, whatever the chunk boundaries: chunks that end mid-page, mid-block, on a block boundary; writes
/// of odd sizes; and a chunk rolled back while a block write was in flight.
/// </summary>
public sealed class UploadWriterDirectIoTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("bollard-dio-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private FileSystemBlobStore Store(bool directIo) => new(new FileSystemBlobStoreOptions { RootPath = _root, DirectIo = directIo });

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Appends <paramref name="chunk"/> with one writer, in writes of <paramref name="writeSize"/> bytes.</summary>
    private static async Task AppendAsync(FileSystemBlobStore store, string id, long offset, byte[] chunk, int writeSize, bool complete = true)
    {
        await using var writer = (await store.OpenUploadWriterAsync(id, offset, default))!;
        for (int i = 0; i < chunk.Length; i += writeSize)
            await writer.WriteAsync(chunk.AsMemory(i, Math.Min(writeSize, chunk.Length - i)), default);
        if (complete) await writer.CompleteAsync(default);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Chunks_EndingMidPageAndOnBlockBoundaries_AreStoredExactly(bool directIo)
    {
        var store = Store(directIo);
        string id = BlobUploader.NewId();
        await store.CreateUploadAsync(id, default);
        // Sizes: mid-page, a page and a byte, exactly one 1 MiB block, over two blocks, a single byte, a tail.
        int[] sizes = [1_500_001, 4097, DirectWriteBuffers.HalfSize, 2 * DirectWriteBuffers.HalfSize + 12_345, 1, 262_144];
        int[] writeSizes = [262_144, 1000, 65_536, 777_777, 1, 4096];
        var expected = new MemoryStream();
        for (int i = 0; i < sizes.Length; i++)
        {
            var chunk = Pattern(sizes[i], i);
            await AppendAsync(store, id, expected.Length, chunk, writeSizes[i]);
            expected.Write(chunk);
            Assert.Equal(expected.Length, await store.GetUploadSizeAsync(id, default));
        }
        Assert.Equal(expected.ToArray(), await File.ReadAllBytesAsync(Path.Combine(_root, "uploads", id)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AChunkDisposedUncompleted_WhileBlocksAreInFlight_LeavesTheEarlierBytes(bool directIo)
    {
        var store = Store(directIo);
        string id = BlobUploader.NewId();
        await store.CreateUploadAsync(id, default);
        var first = Pattern(10_000, 1); // ends mid-page: the next writer rewrites that page's first bytes
        await AppendAsync(store, id, 0, first, 4096);
        await AppendAsync(store, id, first.Length, Pattern(3 * DirectWriteBuffers.HalfSize + 5, 2), 262_144, complete: false);
        Assert.Equal(first, await File.ReadAllBytesAsync(Path.Combine(_root, "uploads", id)));

        var second = Pattern(5000, 3);
        await AppendAsync(store, id, first.Length, second, 5000);
        byte[] stored = await File.ReadAllBytesAsync(Path.Combine(_root, "uploads", id));
        Assert.Equal(first.Concat(second).ToArray(), stored);
    }

    [Fact]
    public async Task OnAFileSystemWithDirectIo_UploadDataBypassesThePageCache()
    {
        // Where the temporary folder's file system has no direct I/O (tmpfs), the writer falls back: nothing to check.
        string probe = Path.Combine(_root, "probe");
        using (var file = new FileStream(probe, FileMode.CreateNew, FileAccess.ReadWrite))
            if (!Durability.TrySetDirectIo(file.SafeFileHandle, on: true)) return;

        var store = Store(directIo: true);
        string id = BlobUploader.NewId();
        await store.CreateUploadAsync(id, default);
        await using var writer = (await store.OpenUploadWriterAsync(id, 0, default))!;
        await writer.WriteAsync(Pattern(2 * DirectWriteBuffers.HalfSize, 4), default);
        Assert.True(OpenWithODirect(Path.Combine(_root, "uploads", id)), "the upload file is not open with O_DIRECT while a chunk is written");
        await writer.CompleteAsync(default);
    }

    /// <summary>Whether this process holds <paramref name="path"/> open with O_DIRECT (/proc/self/fdinfo).</summary>
    private static bool OpenWithODirect(string path)
    {
        int direct = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 ? 0x10000 : 0x4000;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            string? target;
            try { target = new FileInfo(fd).LinkTarget; }
            catch (IOException) { continue; }
            if (target != path) continue;
            string flags = File.ReadAllLines($"/proc/self/fdinfo/{Path.GetFileName(fd)}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
            if ((Convert.ToInt32(flags["flags:".Length..].Trim(), 8) & direct) != 0) return true;
        }
        return false;
    }
}
