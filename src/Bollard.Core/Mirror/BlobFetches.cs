using System.Buffers;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;

namespace Bollard.Core.Mirror;

/// <summary>
/// The upstream blob fetches in flight: one <see cref="SpooledFetch"/> per (upstream, digest), which every concurrent
/// miss joins, so twenty clients pulling the same uncached layer make one upstream request. A fetch runs in the
/// background, independent of the clients that asked (it goes on when they disconnect, so the next pull hits),
/// bounded by the upstream's <see cref="UpstreamOptions.Timeout"/> for the answer and for every read (idle), by the
/// blob's <c>Content-Length</c> and <see cref="UpstreamOptions.MaxBlobBytes"/>, and by
/// <see cref="MirrorOptions.MaxConcurrentFetches"/> (fetches beyond wait for a slot). A verified blob is stored
/// by handing the spool file itself to the store (<see cref="BlobService.CommitVerifiedFileAsync"/>: fsync and rename,
/// linked into the repository with its event, as an upload; a store that cannot take a file gets an upload, verified again). Disk: at most one spool file per running fetch, each at most its blob's size.
/// </summary>
public sealed class BlobFetches : IDisposable
{
    /// <summary>
    /// The most one read from the upstream takes (a read returns what the socket has, so it never waits to fill it):
    /// large enough that a fast upstream costs few write, hash and reader wake-up rounds per blob (at 64 KiB they were
    /// most of a miss's overhead, bench/README.md#mirror), one such buffer per running fetch.
    /// </summary>
    private const int ReadSize = 1024 * 1024;

    /// <summary>Chunks written but not yet hashed, at most (memory: this many <see cref="ReadSize"/> buffers per fetch, plus the one being read).</summary>
    private const int HashQueueChunks = 3;

    private readonly IUpstreamRegistry _upstream;
    private readonly BlobService _blobs;
    private readonly MirrorCounters _counters;
    private readonly IMirrorFetchLimiter _limiter;
    private readonly IMirrorFetchObserver _observer;
    private readonly string _spoolDir;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationToken _stopToken;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Upstream, Digest Digest), SpooledFetch> _running = [];

    /// <param name="spoolDir">Where fetches spool (<see cref="MirrorOptions.SpoolDir"/> or its default); created, and
    /// emptied of the leftovers of a previous process (a spool is never resumed: its fetch died with that process).</param>
    public BlobFetches(
        IUpstreamRegistry upstream, BlobService blobs, MirrorOptions options, MirrorCounters counters, IMirrorFetchLimiter limiter,
        IMirrorFetchObserver observer, string spoolDir)
    {
        ArgumentNullException.ThrowIfNull(options);
        _upstream = upstream;
        _blobs = blobs;
        _counters = counters;
        _limiter = limiter;
        _observer = observer;
        _spoolDir = Path.GetFullPath(spoolDir);
        _slots = new SemaphoreSlim(options.MaxConcurrentFetches, options.MaxConcurrentFetches);
        _stopToken = _stopping.Token; // kept: the token stays usable (cancelled) after Dispose
        Directory.CreateDirectory(_spoolDir);
        foreach (string leftover in Directory.EnumerateFiles(_spoolDir, "*.spool")) SpooledFetch.TryDelete(leftover);
    }

    public string SpoolDir => _spoolDir;

    /// <summary>How many fetches are in flight (waiting for a slot, transferring or storing).</summary>
    public int Running { get { lock (_gate) return _running.Count; } }

    /// <summary>
    /// Joins the fetch of <paramref name="digest"/> from <paramref name="route"/>'s upstream, or starts it. Only a start
    /// counts against <paramref name="actor"/>'s fetch limit; null is Bollard's own read (not limited).
    /// </summary>
    /// <exception cref="OciException">429 <c>TOOMANYREQUESTS</c> when <paramref name="actor"/> may not fetch now.</exception>
    /// <param name="declaredSize">The size the referencing manifest gives (null: unknown): an upstream that announces
    /// another is refused, and one that sends no <c>Content-Length</c> (chunked) is bounded by it and served at once.</param>
    public SpooledFetch StartOrJoin(MirrorRoute route, Digest digest, RegistryActor? actor, long? declaredSize = null)
    {
        ArgumentNullException.ThrowIfNull(route);
        var key = (route.Upstream.Name, digest);
        SpooledFetch fetch;
        FileStream spool;
        lock (_gate)
        {
            if (_running.TryGetValue(key, out var running)) return running;
            if (actor is not null) _limiter.EnsureAllowed(actor);
            string path = Path.Combine(_spoolDir, BlobUploader.NewId() + ".spool");
            // Created before the fetch is visible, so a joiner can always open it.
            spool = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.Asynchronous, BufferSize = 0, // written through: readers' handles see every byte at once
            });
            fetch = new SpooledFetch(route, digest, path) { DeclaredSize = declaredSize };
            _running[key] = fetch;
        }
        _counters.For(route.Upstream.Name).BlobMiss();
        _ = Task.Run(() => RunAsync(fetch, spool, actor ?? RegistryActor.Unknown));
        return fetch;
    }

    /// <summary>Never throws: a background fetch's failure reaches its readers, the counters and the observer only.</summary>
    private async Task RunAsync(SpooledFetch fetch, FileStream spool, RegistryActor actor)
    {
        var counters = _counters.For(fetch.Route.Upstream.Name);
        string? failure = null;
        BlobInfo? stored = null;
        try
        {
            bool verified = false;
            try
            {
                await _slots.WaitAsync(_stopToken).ConfigureAwait(false);
                try
                {
                    await TransferAsync(fetch, spool).ConfigureAwait(false);
                }
                finally
                {
                    _slots.Release();
                    // Closed before the store takes the file: no writer may hold it then.
                    await spool.DisposeAsync().ConfigureAwait(false);
                }
                verified = true;
                fetch.Verify();
                stored = await StoreAsync(fetch, actor).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failure = Describe(e);
                if (!verified)
                {
                    // Upstream errors are counted where they are seen: the upstream client counts the failures of its requests
                    // and of the bodies it streams, TransferAsync those it finds itself (Counted); a 404 is an answer.
                    fetch.Fail(e is UpstreamException or OciException ? e : new UpstreamException(UpstreamFailure.Unreachable, $"upstream {fetch.Route.Upstream.Name}: {e.Message}", e));
                }
            }
            finally
            {
                await spool.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failure ??= Describe(e);
        }
        finally
        {
            // The spool goes first, then the fetch leaves the table: a reader that still finds it sees it completed and
            // reads the store; one that comes later starts afresh (and finds the blob stored).
            fetch.Complete(stored);
            lock (_gate)
            {
                if (_running.TryGetValue((fetch.Route.Upstream.Name, fetch.Digest), out var current) && ReferenceEquals(current, fetch))
                    _running.Remove((fetch.Route.Upstream.Name, fetch.Digest));
            }
            counters.Fetched(fetch.Written);
            try
            {
                _observer.Fetched(actor, fetch.Route, "blob", fetch.Digest.ToString(), failure);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The observer must not throw; if it does, the fetch is still done.
            }
        }
    }

    private static string Describe(Exception e) => e switch
    {
        UpstreamException u => $"{u.Failure}: {u.Message}",
        OciException o => $"{o.Error.Code}: {o.Detail ?? o.Message}",
        _ => e.Message,
    };

    /// <summary>Upstream to spool, hashing as it goes; returns only when the bytes are the digest's, else throws.</summary>
    private async Task TransferAsync(SpooledFetch fetch, FileStream spool)
    {
        var upstream = fetch.Route.Upstream;
        var digest = fetch.Digest;
        // One timer for the answer and then for each read: an upstream that stops sending is cut after Timeout.
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stopToken);
        idle.CancelAfter(upstream.Timeout);
        UpstreamBlob? blob;
        try
        {
            blob = await _upstream.OpenBlobAsync(fetch.Route, digest, idle.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_stopToken.IsCancellationRequested)
        {
            throw Counted(fetch, new UpstreamException(UpstreamFailure.Timeout, $"upstream {upstream.Name} did not answer for {digest} within {upstream.Timeout}"));
        }
        if (blob is null) throw new OciException(OciErrors.BlobUnknown, $"upstream {upstream.Name} does not have {digest} in {fetch.Route.UpstreamRepository}");
        await using (blob.ConfigureAwait(false))
        {
            if (blob.Length > upstream.MaxBlobBytes)
                throw Counted(fetch, new UpstreamException(UpstreamFailure.Invalid, $"upstream {upstream.Name} announces {blob.Length} bytes for {digest}, over MaxBlobBytes {upstream.MaxBlobBytes}"));
            if (blob.Length < 0) throw Counted(fetch, new UpstreamException(UpstreamFailure.Invalid, $"upstream {upstream.Name} announces a negative length for {digest}"));
            if (blob.Length is { } announced && fetch.DeclaredSize is { } declared && announced != declared)
                throw Counted(fetch, new UpstreamException(UpstreamFailure.Invalid, $"upstream {upstream.Name} announces {announced} bytes for {digest}, its manifest {declared}"));
            // Without a Content-Length (chunked) the manifest's size is the length: bounded by it, and known to clients at once.
            long? expected = blob.Length ?? fetch.DeclaredSize;
            if (expected > upstream.MaxBlobBytes)
                throw Counted(fetch, new UpstreamException(UpstreamFailure.Invalid, $"{digest} is {expected} bytes, over upstream {upstream.Name}'s MaxBlobBytes {upstream.MaxBlobBytes}"));
            fetch.SetHeaders(expected);
            long limit = expected ?? upstream.MaxBlobBytes;
            // The hash runs on its own task, a few chunks behind the spool writes: SHA-256 (~1.7 GB/s with SHA-NI here)
            // then costs the client no time but the last chunks' (the held-back tail waits for the digest anyway).
            using var hash = digest.Algorithm.CreateHash();
            var hashing = new ChunkHasher(hash, HashQueueChunks);
            long written = 0;
            try
            {
                while (true)
                {
                    byte[] buffer = ArrayPool<byte>.Shared.Rent(ReadSize);
                    bool handedOver = false;
                    try
                    {
                        idle.CancelAfter(upstream.Timeout);
                        int read;
                        try
                        {
                            // At most one byte past the limit: enough to see an upstream that sends too much, no more.
                            read = await blob.Content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(ReadSize, limit - written + 1)), idle.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!_stopToken.IsCancellationRequested)
                        {
                            throw Counted(fetch, new UpstreamException(UpstreamFailure.Timeout, $"upstream {upstream.Name} sent nothing for {upstream.Timeout} after {written} bytes of {digest}"));
                        }
                        catch (Exception e) when (e is IOException or HttpRequestException)
                        {
                            throw Counted(fetch, new UpstreamException(UpstreamFailure.Unreachable, $"upstream {upstream.Name} failed after {written} bytes of {digest}: {e.Message}", e));
                        }
                        if (read == 0) break;
                        if (written + read > limit)
                            throw Counted(fetch, new UpstreamException(UpstreamFailure.Invalid, expected is null
                                ? $"upstream {upstream.Name} sends more than MaxBlobBytes {upstream.MaxBlobBytes} for {digest}"
                                : $"upstream {upstream.Name} sends more than the {limit} bytes of {digest}"));
                        // A synchronous write at its offset: it goes to the page cache (the fsync is the store's, at commit), and
                        // on Linux an asynchronous file write is the same call queued to another pool thread, one hop per chunk.
                        RandomAccess.Write(spool.SafeFileHandle, buffer.AsSpan(0, read), written);
                        written += read;
                        fetch.Advance(written);
                        handedOver = true; // the hasher returns it to the pool, even when it fails
                        await hashing.AddAsync(buffer, read).ConfigureAwait(false);
                    }
                    finally
                    {
                        if (!handedOver) ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
            }
            finally
            {
                // On success the hash of every byte; on failure the hasher is stopped and has returned its buffers.
                await hashing.CompleteAsync().ConfigureAwait(false);
            }
            if (expected is { } length && written != length)
                throw Counted(fetch, new UpstreamException(UpstreamFailure.Unreachable, $"upstream {upstream.Name} ended {digest} after {written} of {length} bytes"));
            var actual = Digest.FromHash(digest.Algorithm, hash.GetHashAndReset());
            if (actual != digest)
                throw Counted(fetch, new UpstreamException(UpstreamFailure.Invalid, $"upstream {upstream.Name} sent bytes whose digest is {actual}, not {digest}"));
        }
    }

    /// <summary>A failure TransferAsync found itself (the upstream client did not see it), counted once here.</summary>
    private UpstreamException Counted(SpooledFetch fetch, UpstreamException e)
    {
        _counters.For(fetch.Route.Upstream.Name).Error(e.Failure);
        return e;
    }

    /// <returns>The stored blob, or null when the store refused it (quota, storage full): it was served, not kept.</returns>
    private async Task<BlobInfo?> StoreAsync(SpooledFetch fetch, RegistryActor actor)
    {
        // The spool is verified and its writer closed: the store takes the file itself (fsync + rename, no second copy or hash).
        return await _blobs.CommitVerifiedFileAsync(fetch.Route.Local, fetch.Digest, fetch.SpoolPath, fetch.Written, actor, _stopToken).ConfigureAwait(false);
    }

    /// <summary>Stops the fetches in flight (at shutdown): their readers fail, their spools are deleted.</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        // _slots is not disposed: fetches being cancelled still release it on their way out.
    }
}
