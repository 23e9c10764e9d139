namespace Bollard.Storage.FileSystem;

public sealed record FileSystemBlobStoreOptions
{
    /// <summary>Folder that holds <c>blobs/</c> and <c>uploads/</c>.</summary>
    public required string RootPath { get; init; }

    /// <summary>fsync blob data and folder entries before a commit returns. Only tests of other things turn it off.</summary>
    public bool Fsync { get; init; } = true;

    /// <summary>
    /// Write upload data with direct I/O (past the page cache) where the file system allows it; see
    /// <see cref="FileSystemUploadWriter"/>. Off: through the page cache, as before.
    /// </summary>
    public bool DirectIo { get; init; } = true;
}
