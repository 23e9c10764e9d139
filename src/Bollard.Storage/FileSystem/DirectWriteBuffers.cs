using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Bollard.Storage.FileSystem;

/// <summary>
/// The two page-aligned halves an upload writer fills and hands to the device in turn (direct I/O needs the buffer
/// address, the file offset and the length aligned). One pinned array each: the GC never moves it, so a write in
/// flight can read it, and nothing leaks if a writer is never disposed.
/// </summary>
internal sealed class DirectWriteBuffers
{
    /// <summary>The alignment direct I/O needs: the page size, a multiple of every common logical block size (512, 4096).</summary>
    public const int Alignment = 4096;

    /// <summary>Bytes per half: one direct write each. 1 MiB writes reach the disk's speed here; 256 KiB ones did not (bench/README.md).</summary>
    public const int HalfSize = 1024 * 1024;

    // A few pairs stay for the next uploads; more concurrent uploads allocate their own and drop them afterwards.
    private const int Retained = 4;
    private static readonly ConcurrentBag<DirectWriteBuffers> Pool = [];
    private static int _pooled;

    private readonly byte[] _array;

    private DirectWriteBuffers()
    {
        _array = GC.AllocateUninitializedArray<byte>(2 * HalfSize + Alignment, pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(_array, 0).ToInt64();
        int skip = (int)((Alignment - address % Alignment) % Alignment);
        First = _array.AsMemory(skip, HalfSize);
        Second = _array.AsMemory(skip + HalfSize, HalfSize);
    }

    public Memory<byte> First { get; }

    public Memory<byte> Second { get; }

    public static DirectWriteBuffers Rent()
    {
        if (Pool.TryTake(out var buffers))
        {
            Interlocked.Decrement(ref _pooled);
            return buffers;
        }
        return new DirectWriteBuffers();
    }

    /// <summary>Only once no write reads them any more.</summary>
    public static void Return(DirectWriteBuffers buffers)
    {
        if (Interlocked.Increment(ref _pooled) <= Retained) Pool.Add(buffers);
        else Interlocked.Decrement(ref _pooled);
    }
}
