using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Core.Mirror;

/// <summary>
/// One upstream blob fetch that any number of readers share (<see cref="BlobFetches"/> starts or joins it): the bytes go
/// to a spool file while they are hashed, and every reader tails that file as it grows, so a client has its first bytes
/// long before the upstream transfer ends and no blob is ever held in memory.
/// <para>
/// Integrity: the last <see cref="HoldBack"/> bytes (the whole blob when it is smaller) are released to readers only
/// after the digest and size are verified. A blob whose bytes do not match its digest is therefore never served
/// completely: every reader's stream fails before its end, so the HTTP layer aborts the response (the client sees a
/// truncated body, never a full one with the wrong bytes).
/// </para>
/// States: running (bytes arrive) -> verified (all bytes released) -> completed (stored, or store failed) and the
/// spool deleted; or running -> failed (every reader's stream throws, the spool deleted). All transitions pulse
/// <see cref="_progress"/>, which readers wait on.
/// </summary>
public sealed class SpooledFetch
{
    /// <summary>Bytes kept from readers until the digest is verified (the whole blob when smaller).</summary>
    public const int HoldBack = 64 * 1024;

    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<long> _size = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<BlobInfo?> _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _written, _released;
    private bool _verified, _spoolDeleted;
    private Exception? _failure;

    internal SpooledFetch(MirrorRoute route, Digest digest, string spoolPath)
    {
        Route = route;
        Digest = digest;
        SpoolPath = spoolPath;
    }

    /// <summary>The route of the reader that started it: where the blob is stored (other repositories link it afterwards).</summary>
    public MirrorRoute Route { get; }

    public Digest Digest { get; }

    /// <summary>The size the referencing manifest declares, when known (<see cref="BlobFetches.StartOrJoin"/>).</summary>
    public long? DeclaredSize { get; init; }

    internal string SpoolPath { get; }

    /// <summary>Bytes written to the spool so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>The failure that ended the fetch, once it failed (an <see cref="UpstreamException"/>, or an <see cref="OciException"/> for "not found").</summary>
    public Exception? Failure { get { lock (_gate) return _failure; } }

    /// <summary>
    /// The blob's size as soon as it is known: the upstream's <c>Content-Length</c>, or, when the upstream sent none,
    /// the verified size at the end of the transfer (a reader then cannot start before the blob is whole, but
    /// HTTP needs a length and Bollard never sends a blob of unverified size).
    /// </summary>
    /// <exception cref="Exception">The fetch's failure, when it failed first.</exception>
    public Task<long> WaitForSizeAsync(CancellationToken ct) => _size.Task.WaitAsync(ct);

    /// <summary>Completes when the fetch has ended: the stored blob, or null when it failed or the store refused it.</summary>
    public Task<BlobInfo?> Completion => _completed.Task;

    /// <summary>
    /// A stream over the spooled bytes (the <paramref name="range"/>, or the whole blob), which waits for bytes not yet
    /// released and fails when the fetch fails. Null when the spool is gone (the fetch has completed, or its verified
    /// spool is being moved into the store: wait for <see cref="Completion"/>, then read the store).
    /// </summary>
    public Stream? OpenSpool(ByteRange? range)
    {
        lock (_gate)
        {
            if (_spoolDeleted) return null;
            if (_failure is not null) throw _failure;
            // Opened under the lock: the spool is deleted under it too. Once open, the handle keeps the bytes readable
            // after the file is deleted or moved (FileShare.Delete), so a reader never races the cleanup.
            FileStream file;
            try
            {
                file = new FileStream(SpoolPath, new FileStreamOptions
                {
                    Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete,
                    Options = FileOptions.Asynchronous, BufferSize = 0,
                });
            }
            catch (FileNotFoundException) when (_verified)
            {
                // A verified spool is being moved into the store (IBlobStore.TryCommitFileAsync): read the store once stored.
                return null;
            }
            return new SpoolReadStream(this, file, range?.Offset ?? 0, range is { } r ? r.Offset + r.Length : null);
        }
    }

    /// <summary>The upstream answered; <paramref name="length"/> is its <c>Content-Length</c> (null: the size is known when verified).</summary>
    internal void SetHeaders(long? length)
    {
        if (length is { } known) _size.TrySetResult(known);
    }

    /// <summary>Bytes up to <paramref name="written"/> are on disk (written through, so another handle reads them).</summary>
    internal void Advance(long written)
    {
        lock (_gate)
        {
            _written = written;
            _released = Math.Max(0, written - HoldBack);
        }
        Pulse();
    }

    /// <summary>The digest and size are verified: every byte may be read.</summary>
    internal void Verify()
    {
        lock (_gate)
        {
            _verified = true;
            _released = _written;
        }
        _size.TrySetResult(Written);
        Pulse();
    }

    internal void Fail(Exception failure)
    {
        lock (_gate)
        {
            if (_verified) return; // a verified blob was served whole; a failure afterwards (the store) is not the readers'
            _failure ??= failure;
        }
        _size.TrySetException(failure);
        Pulse();
    }

    /// <summary>Deletes the spool (under the lock, so no reader opens it meanwhile) and ends the fetch.</summary>
    internal void Complete(BlobInfo? stored)
    {
        lock (_gate)
        {
            _spoolDeleted = true;
            TryDelete(SpoolPath);
        }
        _size.TrySetException(new OciException(OciErrors.BlobUnknown, $"the fetch of {Digest} ended"));
        _completed.TrySetResult(stored);
        Pulse();
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the cleanup at the next start (BlobFetches clears the spool folder).
        }
    }

    private void Pulse()
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            previous = _progress;
            _progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        previous.TrySetResult();
    }

    /// <summary>What a reader at <paramref name="position"/> may read now.</summary>
    /// <returns>Bytes available (0 with a non-null task: wait for it), the verified end (null while unknown), and the pulse to wait on.</returns>
    private (long Available, long? End, Task Progress) Poll(long position)
    {
        lock (_gate)
        {
            if (_failure is not null) throw new IOException($"the upstream fetch of {Digest} failed: {_failure.Message}", _failure);
            return (Math.Max(0, _released - position), _verified ? _written : null, _progress.Task);
        }
    }

    /// <summary>
    /// Tails the spool: reads what is released, waits on the progress pulse for more, ends at the range's end or the
    /// verified end of the blob, and throws when the fetch fails (so a response in flight is aborted, not completed).
    /// </summary>
    private sealed class SpoolReadStream(SpooledFetch fetch, FileStream file, long start, long? end) : Stream
    {
        private readonly long _start = start;
        private long _position = start;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position - _start; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length == 0) return 0;
            while (true)
            {
                if (end is { } stop && _position >= stop) return 0;
                var (available, verifiedEnd, progress) = fetch.Poll(_position);
                if (available > 0)
                {
                    long want = Math.Min(available, buffer.Length);
                    if (end is { } limit) want = Math.Min(want, limit - _position);
                    // Released bytes were just written, so they are in the page cache: a synchronous read at the offset
                    // (an asynchronous one is the same call queued to another pool thread on Linux).
                    int read = RandomAccess.Read(file.SafeFileHandle, buffer.Span[..(int)want], _position);
                    if (read == 0) throw new IOException($"the spool of {fetch.Digest} ended before its released bytes");
                    _position += read;
                    return read;
                }
                if (verifiedEnd is { } whole && _position >= whole) return 0;
                await progress.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) file.Dispose();
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await file.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
