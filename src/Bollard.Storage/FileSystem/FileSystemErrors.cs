using Bollard.Core.Storage;

namespace Bollard.Storage.FileSystem;

/// <summary>
/// The folder backend's translation of operating-system failures into Core's storage exceptions (which the
/// server maps once): ENOSPC/EDQUOT become <see cref="StorageFullException"/> (507); EACCES/EPERM (an
/// unwritable folder) and EROFS become <see cref="StorageUnavailableException"/> (503). On Unix .NET carries
/// the errno in <see cref="Exception.HResult"/> of the <see cref="IOException"/>; permission errors arrive as
/// <see cref="UnauthorizedAccessException"/>. A missing folder or a file where the layout needs a folder (ENOTDIR/EISDIR) is 503 too. Call it on write paths only.
/// </summary>
public static class FileSystemErrors
{
    private const int Enotdir = 20, Eisdir = 21, Enospc = 28, Erofs = 30, Edquot = 122;
    private const int WindowsDiskFull = unchecked((int)0x80070070), WindowsHandleDiskFull = unchecked((int)0x80070027);

    public static bool TryTranslate(Exception e, out IOException translated)
    {
        translated = e switch
        {
            StorageFullException or StorageUnavailableException => null!,
            UnauthorizedAccessException => new StorageUnavailableException($"the blob folder is not writable: {e.Message}", e),
            IOException { HResult: Enospc or Edquot or WindowsDiskFull or WindowsHandleDiskFull } => new StorageFullException($"the blob folder's disk is full: {e.Message}", e),
            IOException { HResult: Erofs } => new StorageUnavailableException($"the blob folder is on a read-only file system: {e.Message}", e),
            // Used on write paths only, where the folders exist by construction: a missing folder, or a file where a
            // folder must be (ENOTDIR, which .NET reports as DirectoryNotFoundException), is a broken blob folder.
            DirectoryNotFoundException => new StorageUnavailableException($"the blob folder is not usable: {e.Message}", e),
            IOException { HResult: Enotdir or Eisdir } => new StorageUnavailableException($"the blob folder is not usable: {e.Message}", e),
            _ => null!,
        };
        return translated is not null;
    }
}
