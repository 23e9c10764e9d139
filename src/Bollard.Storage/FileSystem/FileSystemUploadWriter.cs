using Bollard.Core.Storage;

namespace Bollard.Storage.FileSystem;

/// <summary>Appends to an upload file it holds exclusively; disposing uncompleted cuts the file back to where it started.</summary>
internal sealed class FileSystemUploadWriter(FileStream file, long start) : IUploadWriter
{
    private bool _completed;
    private readonly long _start = start;
    private long _position = start;

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        try
        {
            await file.WriteAsync(data, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (FileSystemErrors.TryTranslate(e, out var translated))
        {
            throw translated;
        }
        Durability.StartWriteback(file.SafeFileHandle, _position, data.Length);
        _position += data.Length;
    }

    public async ValueTask CompleteAsync(CancellationToken ct)
    {
        try
        {
            await file.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (FileSystemErrors.TryTranslate(e, out var translated))
        {
            throw translated;
        }
        _completed = true;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_completed) file.SetLength(_start);
        }
        finally
        {
            await file.DisposeAsync().ConfigureAwait(false);
        }
    }
}
