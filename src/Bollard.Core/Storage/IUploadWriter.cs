namespace Bollard.Core.Storage;

/// <summary>
/// Appends one chunk to upload data (from <see cref="IBlobStore.OpenUploadWriterAsync"/>). Holds the upload
/// exclusively until disposed. Disposing without <see cref="CompleteAsync"/> rolls the data back to the offset
/// it was opened at, so a failed chunk leaves the upload as it was. Not thread-safe: one caller at a time.
/// </summary>
public interface IUploadWriter : IAsyncDisposable
{
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct);

    /// <summary>Keeps what was written: the upload data now ends after the last byte written.</summary>
    ValueTask CompleteAsync(CancellationToken ct);
}
