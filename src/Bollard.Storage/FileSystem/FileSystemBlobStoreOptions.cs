namespace Bollard.Storage.FileSystem;

public sealed record FileSystemBlobStoreOptions
{
    /// <summary>Folder that holds <c>blobs/</c> and <c>uploads/</c>.</summary>
    public required string RootPath { get; init; }

    /// <summary>fsync blob data and folder entries before a commit returns. Only tests of other things turn it off.</summary>
    public bool Fsync { get; init; } = true;

    /// <summary>
    /// Write upload data with direct I/O (past the page cache) where the file system allows it; see
    /// <see cref="FileSystemUploadWriter"/>. Off (the default): through the page cache, so a pull right after the push
    /// is served from memory; on, a push costs about half the server CPU but that first pull reads from disk
    /// (bench/README.md, D3 session 18). Pulls outnumber pushes in a registry, and CI pulls what it just pushed.
    /// </summary>
    public bool DirectIo { get; init; }
}
