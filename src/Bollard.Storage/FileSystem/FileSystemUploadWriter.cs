using Bollard.Core.Storage;
using Microsoft.Win32.SafeHandles;

namespace Bollard.Storage.FileSystem;

/// <summary>
/// Appends to an upload file it holds exclusively; disposing uncompleted cuts the file back to where it started.
/// <para>
/// Where the file system allows it (Linux, not tmpfs), the bytes bypass the page cache: they are gathered into
/// page-aligned 1 MiB blocks that go to the device with direct I/O (<c>O_DIRECT</c>), one block in flight while
/// the next one fills, and only the last partial page is written through the cache. Filling fresh page-cache pages
/// was most of a push's CPU (in a VM whose free memory goes back to the host, far more than the copy itself:
/// bench/README.md, session 18); the blob is written once and read later, so caching it bought nothing. The commit
/// still fsyncs the file (the device's write cache and the file's size and extents), so durability is unchanged.
/// A file whose first block sits inside a page (a chunk that ends mid-page) starts its first block with the bytes
/// already stored in that page, read back and written again unchanged. Elsewhere (or after a direct write fails) the
/// writer writes through the page cache and starts writeback of each completed 8 MiB window
/// (<see cref="Durability.StartWriteback"/>).
/// </para>
/// </summary>
internal sealed class FileSystemUploadWriter : IUploadWriter
{
    private readonly FileStream _file;
    private readonly SafeFileHandle _handle;
    private readonly long _start;
    private bool _completed;

    // Page-cache mode: the next file offset.
    private long _position;

    // Direct mode (when _buffers is not null): _current is filled from file offset _currentOffset; the other half
    // may be in flight (_inflight) until awaited.
    private bool _direct;
    private DirectWriteBuffers? _buffers;
    private Memory<byte> _current, _other;
    private long _currentOffset;
    private int _fill;
    private Task? _inflight;

    public FileSystemUploadWriter(FileStream file, long start, bool directIo)
    {
        _file = file;
        _handle = file.SafeFileHandle;
        _start = start;
        _position = start;
        if (directIo) StartDirect();
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (_buffers is null)
        {
            await WriteCachedAsync(data, ct).ConfigureAwait(false);
            return;
        }
        while (!data.IsEmpty)
        {
            int n = Math.Min(data.Length, _current.Length - _fill);
            data[..n].CopyTo(_current[_fill..]);
            _fill += n;
            data = data[n..];
            if (_fill == _current.Length) await SubmitCurrentAsync(ct).ConfigureAwait(false);
        }
    }

    public async ValueTask CompleteAsync(CancellationToken ct)
    {
        try
        {
            if (_buffers is not null)
            {
                await WaitInflightAsync().ConfigureAwait(false);
                int whole = _fill / DirectWriteBuffers.Alignment * DirectWriteBuffers.Alignment;
                if (whole > 0) await WriteBlockAsync(_current[..whole], _currentOffset, ct).ConfigureAwait(false);
                if (_fill > whole)
                {
                    // Direct I/O writes whole pages only: the last partial one goes through the page cache.
                    StopDirect();
                    await RandomAccess.WriteAsync(_handle, _current[whole.._fill], _currentOffset + whole, ct).ConfigureAwait(false);
                }
            }
            else
            {
                await _file.FlushAsync(ct).ConfigureAwait(false);
            }
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
            // A write in flight still reads the buffer: it must end before the buffer is reused or the file cut back.
            try { await WaitInflightAsync().ConfigureAwait(false); }
            catch (Exception) when (!_completed) { }
            if (!_completed) _file.SetLength(_start);
        }
        finally
        {
            if (_buffers is not null) DirectWriteBuffers.Return(_buffers);
            _buffers = null;
            await _file.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask WriteCachedAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        try
        {
            await RandomAccess.WriteAsync(_handle, data, _position, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (FileSystemErrors.TryTranslate(e, out var translated))
        {
            throw translated;
        }
        Durability.StartWriteback(_handle, _position, data.Length);
        _position += data.Length;
    }

    /// <summary>
    /// Switches to direct mode when the file system takes direct I/O. The first block starts at the page the upload
    /// ends in, so the bytes of that page already stored are read back first (one direct read of that page; the
    /// kernel writes a dirty cached copy out before it reads).
    /// </summary>
    private void StartDirect()
    {
        if (!Durability.TrySetDirectIo(_handle, on: true)) return;
        _direct = true;
        long pageStart = _start / DirectWriteBuffers.Alignment * DirectWriteBuffers.Alignment;
        int head = (int)(_start - pageStart);
        var buffers = DirectWriteBuffers.Rent();
        try
        {
            if (head > 0 && !ReadHead(buffers.First[..DirectWriteBuffers.Alignment], pageStart, head))
            {
                DirectWriteBuffers.Return(buffers);
                StopDirect();
                return;
            }
        }
        catch
        {
            DirectWriteBuffers.Return(buffers);
            throw;
        }
        _buffers = buffers;
        _current = buffers.First;
        _other = buffers.Second;
        _currentOffset = pageStart;
        _fill = head;
    }

    /// <returns>false when the file system refused the direct read (the writer then stays in page-cache mode).</returns>
    private bool ReadHead(Memory<byte> page, long pageStart, int head)
    {
        int read;
        try
        {
            read = RandomAccess.Read(_handle, page.Span, pageStart);
        }
        catch (IOException)
        {
            return false;
        }
        // The writer holds the file exclusively and its length was checked: anything else is another writer's doing.
        if (read != head) throw new UploadConflictException($"upload data holds {pageStart + read} bytes, not {_start}");
        return true;
    }

    private void StopDirect()
    {
        if (_direct && Durability.TrySetDirectIo(_handle, on: false)) _direct = false;
    }

    /// <summary>Starts the write of the full current half and switches to the other one, once its write has ended.</summary>
    private async ValueTask SubmitCurrentAsync(CancellationToken ct)
    {
        await WaitInflightAsync().ConfigureAwait(false);
        _inflight = WriteBlockAsync(_current, _currentOffset, ct);
        (_current, _other) = (_other, _current);
        _currentOffset += _other.Length;
        _fill = 0;
    }

    private async Task WaitInflightAsync()
    {
        if (_inflight is not { } pending) return;
        _inflight = null;
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception e) when (FileSystemErrors.TryTranslate(e, out var translated))
        {
            throw translated;
        }
    }

    /// <summary>
    /// One direct write of whole pages. When the device refuses it (a file system that accepts the flag but not the
    /// alignment), direct I/O is turned off and the same bytes are written through the page cache instead.
    /// </summary>
    private async Task WriteBlockAsync(ReadOnlyMemory<byte> block, long offset, CancellationToken ct)
    {
        try
        {
            await RandomAccess.WriteAsync(_handle, block, offset, ct).ConfigureAwait(false);
            return;
        }
        catch (IOException e) when (_direct && !FileSystemErrors.TryTranslate(e, out _))
        {
            StopDirect();
            if (_direct) throw;
        }
        await RandomAccess.WriteAsync(_handle, block, offset, ct).ConfigureAwait(false);
        Durability.StartWriteback(_handle, offset, block.Length);
    }
}
