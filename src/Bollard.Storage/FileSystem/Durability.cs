using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Bollard.Storage.FileSystem;

/// <summary>
/// What .NET does not offer for durable writes, from libc: fsync of a folder (so that a rename into it survives a
/// crash; .NET cannot open a folder as a file) and early writeback of an upload (so that the fsync at commit has
/// little left to flush). On platforms without them (Windows) both do nothing: NTFS renames are durable enough, and
/// the commit's fsync alone is still correct.
/// </summary>
internal static partial class Durability
{
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000; // Linux x86_64/arm64 value of O_DIRECTORY
    private const int FGetFl = 3, FSetFl = 4;
    private const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE: start writeback, do not wait for it

    /// <summary>Writeback is started once per window of this many bytes of an upload.</summary>
    internal const long WritebackWindow = 8 * 1024 * 1024;

    public static void FsyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux()) return;
        int fd = Open(path, ORdOnly | ODirectory);
        if (fd < 0) return;
        try { _ = Fsync(fd); }
        finally { _ = Close(fd); }
    }

    /// <summary>
    /// Called after each write of <paramref name="count"/> bytes at <paramref name="offset"/> of an upload file:
    /// whenever the write completes a <see cref="WritebackWindow"/>, asks the kernel to start writing that window
    /// to disk (<c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>), without waiting for it. Without this the whole
    /// upload stays dirty in the page cache until the commit's fsync, which then took 0.6-0.7 s per GiB while the
    /// client waited and nothing was received (bench/README.md). This is no durability guarantee on its own: the
    /// commit still fsyncs before it acknowledges. A failure here is ignored for the same reason.
    /// </summary>
    public static void StartWriteback(SafeFileHandle file, long offset, long count)
    {
        if (!OperatingSystem.IsLinux()) return;
        if (WritebackRange(offset, count) is { } range) _ = SyncFileRange(file, range.Offset, range.Length, SyncFileRangeWrite);
    }

    /// <summary>
    /// The windows that a write of <paramref name="count"/> bytes at <paramref name="offset"/> completes, from the
    /// start of the window the write began in up to the last window boundary it reached; null when it reached none.
    /// </summary>
    internal static (long Offset, long Length)? WritebackRange(long offset, long count)
    {
        if (count <= 0 || offset < 0) return null;
        long from = offset / WritebackWindow * WritebackWindow, to = (offset + count) / WritebackWindow * WritebackWindow;
        return to > from ? (from, to - from) : null;
    }

    /// <summary>
    /// Turns direct I/O (<c>O_DIRECT</c>: writes go from the caller's buffer to the device, not through the page cache)
    /// on or off for an open file. Returns false where that is not possible: not Linux, an architecture whose flag
    /// value is not known here, or a file system without direct I/O (tmpfs, some FUSE and network mounts refuse it).
    /// </summary>
    public static bool TrySetDirectIo(SafeFileHandle file, bool on)
    {
        if (!OperatingSystem.IsLinux()) return false;
        int direct = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 or Architecture.X86 => 0x4000, // 040000
            Architecture.Arm64 or Architecture.Arm => 0x10000, // 0200000
            _ => 0,
        };
        if (direct == 0) return false;
        int flags = Fcntl(file, FGetFl, 0);
        if (flags < 0) return false;
        int wanted = on ? flags | direct : flags & ~direct;
        return wanted == flags || Fcntl(file, FSetFl, wanted) == 0;
    }

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(SafeFileHandle fd, int cmd, int arg);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "sync_file_range")]
    private static partial int SyncFileRange(SafeFileHandle fd, long offset, long nbytes, uint flags);
}
