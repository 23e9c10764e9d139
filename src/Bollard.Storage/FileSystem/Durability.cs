using System.Runtime.InteropServices;

namespace Bollard.Storage.FileSystem;

/// <summary>
/// fsync of a folder, so that a rename into it survives a crash. .NET cannot open a folder as a file, so this
/// calls libc directly; on platforms without it (Windows) the rename is already durable enough for NTFS.
/// </summary>
internal static partial class Durability
{
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000; // Linux x86_64/arm64 value of O_DIRECTORY

    public static void FsyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux()) return;
        int fd = Open(path, ORdOnly | ODirectory);
        if (fd < 0) return;
        try { _ = Fsync(fd); }
        finally { _ = Close(fd); }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
