using Bollard.Core.Mirror;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;

namespace Bollard.Core.Tests.Mirror;

public sealed class MirrorBlobReaderTests : IDisposable
{
    private static readonly RepositoryName Repo = MirrorBlobFixture.Repository;
    private static readonly RegistryActor Client = MirrorBlobFixture.Client;
    private readonly MirrorBlobFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task ConcurrentMisses_ShareOneUpstreamFetch_EveryReaderGetsTheExactBytes_ThenItIsStored()
    {
        byte[] bytes = MirrorBlobFixture.RandomBytes(3 * 1024 * 1024 + 17);
        var digest = Digest.Sha256Of(bytes);
        await _f.ReferenceAsync(digest, bytes.Length);
        var upstream = new GatedStream(bytes, freeBytes: 0);
        _f.Upstream.Serve = d => d == digest ? new UpstreamBlob(upstream, bytes.Length) : null;

        using var allOpen = new CountdownEvent(20);
        var readers = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            var info = await _f.Reader.StatAsync(Repo, digest, Client, CancellationToken.None);
            Assert.Equal(bytes.Length, info.Size);
            await using var stream = await _f.Reader.OpenAsync(Repo, digest, null, Client, CancellationToken.None);
            allOpen.Signal();
            return await ReadAllAsync(stream);
        })).ToList();
        // Every reader is in before the upstream sends a byte: none of them can have been served from the store.
        Assert.True(allOpen.Wait(TimeSpan.FromSeconds(30)));
        Assert.False(upstream.Finished);
        upstream.Open();

        foreach (var reader in readers) Assert.Equal(bytes, await reader);
        Assert.Equal(1, _f.Upstream.BlobOpens);
        await _f.IdleAsync();
        Assert.True(await _f.Repositories.IsBlobLinkedAsync(Repo, digest, CancellationToken.None));
        Assert.Equal(bytes.Length, (await _f.Blobs.StatAsync(digest, CancellationToken.None))!.Size);
        Assert.Empty(_f.SpoolFiles());
        var counters = _f.Counters.For("up");
        Assert.Equal(1, counters.BlobMisses);
        Assert.Equal(bytes.Length, counters.BytesFetched);
        Assert.Equal([(Client, digest.ToString(), (string?)null)], _f.Observer.Fetched);

        // The next pull is a hit: no upstream request.
        await using (var again = await _f.Reader.OpenAsync(Repo, digest, null, Client, CancellationToken.None))
            Assert.Equal(bytes, await ReadAllAsync(again));
        Assert.Equal(1, _f.Upstream.BlobOpens);
        Assert.Equal(1, counters.BlobHits);
        Assert.Equal(bytes.Length, counters.BytesSaved);
    }

    [Fact]
    public async Task WrongBytes_EveryReaderFailsBeforeTheEnd_NothingIsStored_TheSpoolIsGone()
    {
        byte[] bytes = MirrorBlobFixture.RandomBytes(1024 * 1024);
        var digest = Digest.Sha256Of(bytes);
        byte[] wrong = (byte[])bytes.Clone();
        wrong[^1] ^= 0xff; // only the last byte differs: a reader must not get everything but it
        await _f.ReferenceAsync(digest, bytes.Length);
        var upstream = new GatedStream(wrong, freeBytes: 0);
        _f.Upstream.Serve = _ => new UpstreamBlob(upstream, wrong.Length);

        var received = new long[5];
        using var allOpen = new CountdownEvent(5);
        var readers = Enumerable.Range(0, 5).Select(i => Task.Run(async () =>
        {
            await _f.Reader.StatAsync(Repo, digest, Client, CancellationToken.None);
            await using var stream = await _f.Reader.OpenAsync(Repo, digest, null, Client, CancellationToken.None);
            allOpen.Signal();
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0) received[i] += n;
        })).ToList();
        Assert.True(allOpen.Wait(TimeSpan.FromSeconds(30)));
        upstream.Open();

        foreach (var reader in readers) await Assert.ThrowsAsync<IOException>(() => reader);
        Assert.All(received, n => Assert.True(n <= bytes.Length - SpooledFetch.HoldBack, $"a reader got {n} of {bytes.Length} bytes"));
        await _f.IdleAsync();
        Assert.Null(await _f.Blobs.StatAsync(digest, CancellationToken.None));
        Assert.False(await _f.Repositories.IsBlobLinkedAsync(Repo, digest, CancellationToken.None));
        Assert.Empty(_f.SpoolFiles());
        Assert.Equal(1, _f.Counters.For("up").Errors[UpstreamFailure.Invalid]);
        Assert.Contains("Invalid", _f.Observer.Fetched.Single().Failure, StringComparison.Ordinal);
        Assert.Equal(1, _f.Upstream.BlobOpens);
    }

    [Fact]
    public async Task StreamLongerThanItsContentLength_IsCut_ReadersFail_NothingIsStored()
    {
        var digest = Digest.Sha256Of(new byte[1000]);
        await _f.ReferenceAsync(digest, 1000);
        var endless = new EndlessStream();
        _f.Upstream.Serve = _ => new UpstreamBlob(endless, 1000);

        Assert.Equal(1000, (await _f.Reader.StatAsync(Repo, digest, Client, CancellationToken.None)).Size);
        var ex = await Record.ExceptionAsync(async () =>
        {
            await using var stream = await _f.Reader.OpenAsync(Repo, digest, null, Client, CancellationToken.None);
            await ReadAllAsync(stream);
        });
        // The fetch may fail before or after the open: either way the reader never gets the blob.
        Assert.True(ex is IOException or OciException, ex?.ToString());
        await _f.IdleAsync();
        // The open after a failed fetch starts another (a failure is not cached); each is cut just past the length.
        Assert.InRange(_f.Upstream.BlobOpens, 1, 2);
        Assert.True(endless.Sent < _f.Upstream.BlobOpens * 256 * 1024, $"{endless.Sent} bytes were read from the endless upstream");
        Assert.Null(await _f.Blobs.StatAsync(digest, CancellationToken.None));
        Assert.Empty(_f.SpoolFiles());
        Assert.Equal(_f.Upstream.BlobOpens, _f.Counters.For("up").Errors[UpstreamFailure.Invalid]);
    }

    [Fact]
    public async Task EndlessStreamWithoutLength_IsCutAtTheManifestsSize_ReadersFail_NothingIsStored()
    {
        using var f = new MirrorBlobFixture(u => u.MaxBlobBytes = 4 * 1024 * 1024);
        var digest = Digest.Sha256Of(new byte[100_000]);
        await f.ReferenceAsync(digest, 100_000);
        var endless = new EndlessStream();
        f.Upstream.Serve = _ => new UpstreamBlob(endless, null);

        // The size is the manifest's, so a client has it at once (the transfer then fails before its end).
        Assert.Equal(100_000, (await f.Reader.StatAsync(Repo, digest, Client, CancellationToken.None)).Size);
        await f.IdleAsync();
        // Cut one byte past the manifest's size, not at MaxBlobBytes.
        Assert.Equal(1, f.Upstream.BlobOpens);
        Assert.Equal(100_001, endless.Sent);
        Assert.Null(await f.Blobs.StatAsync(digest, CancellationToken.None));
        Assert.Empty(f.SpoolFiles());
        Assert.Equal(1, f.Counters.For("up").Errors[UpstreamFailure.Invalid]);
    }

    [Fact]
    public async Task ChunkedUpstream_WithoutContentLength_IsStreamedAtOnce_WithTheManifestsSize_AndStored()
    {
        byte[] bytes = MirrorBlobFixture.RandomBytes(2 * 1024 * 1024 + 5);
        var digest = Digest.Sha256Of(bytes);
        await _f.ReferenceAsync(digest, bytes.Length);
        var upstream = new GatedStream(bytes, freeBytes: 1024 * 1024);
        _f.Upstream.Serve = d => d == digest ? new UpstreamBlob(upstream, null) : null;

        // The upstream holds its second half: the size (and the first bytes) must not wait for the end of the transfer.
        var info = await _f.Reader.StatAsync(Repo, digest, Client, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(bytes.Length, info.Size);
        Assert.False(upstream.Finished);
        await using (var stream = await _f.Reader.OpenAsync(Repo, digest, null, Client, CancellationToken.None))
        {
            byte[] first = new byte[1000];
            Assert.True(await stream.ReadAsync(first).AsTask().WaitAsync(TimeSpan.FromSeconds(20)) > 0);
            upstream.Open();
            var rest = await ReadAllAsync(stream);
            Assert.Equal(bytes, first.Take(bytes.Length - rest.Length).Concat(rest).ToArray());
        }
        await _f.IdleAsync();
        Assert.True(await _f.Repositories.IsBlobLinkedAsync(Repo, digest, CancellationToken.None));
        Assert.Equal(bytes.Length, (await _f.Blobs.StatAsync(digest, CancellationToken.None))!.Size);
    }

    [Fact]
    public async Task SlowUpstream_AReaderHasItsFirstBytesBeforeTheUpstreamFinished()
    {
        byte[] bytes = MirrorBlobFixture.RandomBytes(2 * 1024 * 1024);
        var digest = Digest.Sha256Of(bytes);
        await _f.ReferenceAsync(digest, bytes.Length);
        var upstream = new GatedStream(bytes, freeBytes: 1024 * 1024);
        _f.Upstream.Serve = _ => new UpstreamBlob(upstream, bytes.Length);

        await _f.Reader.StatAsync(Repo, digest, Client, CancellationToken.None);
        await using var stream = await _f.Reader.OpenAsync(Repo, digest, null, Client, CancellationToken.None);
        byte[] first = new byte[256 * 1024];
        int n = await stream.ReadAtLeastAsync(first, first.Length).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(first.Length, n);
        Assert.Equal(bytes.AsSpan(0, n).ToArray(), first);
        Assert.False(upstream.Finished); // the upstream is held in the middle: these bytes came while it was still sending

        upstream.Open();
        byte[] rest = await ReadAllAsync(stream);
        Assert.Equal(bytes.AsSpan(n).ToArray(), rest);
        await _f.IdleAsync();
        Assert.True(await _f.Repositories.IsBlobLinkedAsync(Repo, digest, CancellationToken.None));
    }

    [Fact]
    public async Task RangeOnAMiss_IsServedFromTheSpool()
    {
        byte[] bytes = MirrorBlobFixture.RandomBytes(1024 * 1024 + 5);
        var digest = Digest.Sha256Of(bytes);
        await _f.ReferenceAsync(digest, bytes.Length);
        var upstream = new GatedStream(bytes, freeBytes: 512 * 1024);
        _f.Upstream.Serve = _ => new UpstreamBlob(upstream, bytes.Length);

        await _f.Reader.StatAsync(Repo, digest, Client, CancellationToken.None);
        var middle = new ByteRange(100_000, 5000);
        var tail = new ByteRange(bytes.Length - 10, 10); // inside the held-back end: served only once verified
        await using var a = await _f.Reader.OpenAsync(Repo, digest, middle, Client, CancellationToken.None);
        await using var b = await _f.Reader.OpenAsync(Repo, digest, tail, Client, CancellationToken.None);
        Assert.Equal(bytes.AsSpan(100_000, 5000).ToArray(), await ReadAllAsync(a));
        var tailRead = ReadAllAsync(b);
        await Task.Delay(50);
        Assert.False(tailRead.IsCompleted);
        upstream.Open();
        Assert.Equal(bytes.AsSpan(bytes.Length - 10).ToArray(), await tailRead);
        Assert.Equal(1, _f.Upstream.BlobOpens);
    }

    [Fact]
    public async Task DigestNoManifestReferences_IsUnknown_WithoutAskingTheUpstream()
    {
        byte[] bytes = MirrorBlobFixture.RandomBytes(100);
        var digest = Digest.Sha256Of(bytes);
        _f.Upstream.Serve = _ => new UpstreamBlob(new MemoryStream(bytes), bytes.Length);

        var e = await Assert.ThrowsAsync<OciException>(() => _f.Reader.StatAsync(Repo, digest, Client, CancellationToken.None));
        Assert.Equal(OciErrors.BlobUnknown, e.Error);
        e = await Assert.ThrowsAsync<OciException>(() => _f.Reader.OpenAsync(Repo, digest, null, Client, CancellationToken.None));
        Assert.Equal(OciErrors.BlobUnknown, e.Error);
        Assert.Equal(0, _f.Upstream.BlobOpens);
    }

    [Fact]
    public async Task UpstreamWithout404_IsBlobUnknown_AndNotAnUpstreamError()
    {
        var digest = Digest.Sha256Of("x"u8);
        await _f.ReferenceAsync(digest, 1);

        var e = await Assert.ThrowsAsync<OciException>(() => _f.Reader.StatAsync(Repo, digest, Client, CancellationToken.None));
        Assert.Equal(OciErrors.BlobUnknown, e.Error);
        await _f.IdleAsync();
        Assert.Empty(_f.Counters.For("up").Errors);
    }

    [Fact]
    public async Task BlobStoredInAnotherRepository_IsLinked_WithoutAskingTheUpstream()
    {
        byte[] bytes = MirrorBlobFixture.RandomBytes(1000);
        var digest = Digest.Sha256Of(bytes);
        await _f.BlobService.UploadMonolithicAsync(RepositoryName.Parse("team/app"), digest, new MemoryStream(bytes), bytes.Length, Client, CancellationToken.None);
        await _f.ReferenceAsync(digest, bytes.Length);

        Assert.Equal(bytes.Length, (await _f.Reader.StatAsync(Repo, digest, Client, CancellationToken.None)).Size);
        await using (var stream = await _f.Reader.OpenAsync(Repo, digest, null, Client, CancellationToken.None))
            Assert.Equal(bytes, await ReadAllAsync(stream));
        Assert.Equal(0, _f.Upstream.BlobOpens);
        Assert.True(await _f.Repositories.IsBlobLinkedAsync(Repo, digest, CancellationToken.None));
    }

    [Fact]
    public async Task DeniedDigestStoredInAnotherRepository_IsNeitherLinkedNorServed_ThroughTheMirror()
    {
        byte[] bytes = MirrorBlobFixture.RandomBytes(1000);
        var digest = Digest.Sha256Of(bytes);
        using var f = new MirrorBlobFixture(u => u.DenyDigests = [digest.ToString()]);
        await f.BlobService.UploadMonolithicAsync(RepositoryName.Parse("team/app"), digest, new MemoryStream(bytes), bytes.Length, Client, CancellationToken.None);
        await f.ReferenceAsync(digest, bytes.Length);

        var stat = await Assert.ThrowsAsync<OciException>(() => f.Reader.StatAsync(Repo, digest, Client, CancellationToken.None));
        Assert.Equal(OciErrors.Denied, stat.Error);
        var open = await Assert.ThrowsAsync<OciException>(() => f.Reader.OpenAsync(Repo, digest, null, Client, CancellationToken.None));
        Assert.Equal(OciErrors.Denied, open.Error);
        Assert.False(await f.Repositories.IsBlobLinkedAsync(Repo, digest, CancellationToken.None));
        Assert.Equal(0, f.Upstream.BlobOpens);

        // Linked before the digest was denied (another way in): still not served through the mirror repository.
        await f.BlobService.TryMountAsync(Repo, digest, RepositoryName.Parse("team/app"), _ => ValueTask.FromResult(true), Client, CancellationToken.None);
        Assert.True(await f.Repositories.IsBlobLinkedAsync(Repo, digest, CancellationToken.None));
        open = await Assert.ThrowsAsync<OciException>(() => f.Reader.OpenAsync(Repo, digest, null, Client, CancellationToken.None));
        Assert.Equal(OciErrors.Denied, open.Error);
    }

    [Fact]
    public async Task UnmappedNames_AreTheInnerReaders()
    {
        byte[] bytes = MirrorBlobFixture.RandomBytes(10);
        var digest = Digest.Sha256Of(bytes);
        var e = await Assert.ThrowsAsync<OciException>(() => _f.Reader.StatAsync(RepositoryName.Parse("team/app"), digest, Client, CancellationToken.None));
        Assert.Equal(OciErrors.BlobUnknown, e.Error);
        // An upstream name that is not configured is not mirrored either.
        e = await Assert.ThrowsAsync<OciException>(() => _f.Reader.StatAsync(RepositoryName.Parse("mirror/other/app"), digest, Client, CancellationToken.None));
        Assert.Equal(OciErrors.BlobUnknown, e.Error);
        Assert.Equal(0, _f.Upstream.BlobOpens);
    }

    [Fact]
    public async Task OverTheFetchLimit_IsTooManyRequests_JoinersAndBollardsOwnReadsAreNotLimited()
    {
        var limiter = new CountingLimiter(allowed: 1);
        using var f = new MirrorBlobFixture(limiter: limiter);
        byte[] one = MirrorBlobFixture.RandomBytes(1000), two = MirrorBlobFixture.RandomBytes(1001);
        var upstreamOne = new GatedStream(one, freeBytes: 0);
        f.Upstream.Serve = d => d == Digest.Sha256Of(one) ? new UpstreamBlob(upstreamOne, one.Length) : new UpstreamBlob(new MemoryStream(two), two.Length);
        await f.ReferenceAsync(Digest.Sha256Of(one), one.Length);
        await f.ReferenceAsync(Digest.Sha256Of(two), two.Length, RepositoryName.Parse("mirror/up/library/other"));

        await using var first = await f.Reader.OpenAsync(Repo, Digest.Sha256Of(one), null, Client, CancellationToken.None);
        await using var joiner = await f.Reader.OpenAsync(Repo, Digest.Sha256Of(one), null, Client, CancellationToken.None); // joins: not counted
        var e = await Assert.ThrowsAsync<OciException>(() =>
            f.Reader.StatAsync(RepositoryName.Parse("mirror/up/library/other"), Digest.Sha256Of(two), Client, CancellationToken.None));
        Assert.Equal(OciErrors.TooManyRequests, e.Error);
        Assert.Equal(TimeSpan.FromSeconds(30), e.RetryAfter);
        // Bollard's own read (no actor) is not limited.
        Assert.Equal(two.Length, (await f.Reader.StatAsync(RepositoryName.Parse("mirror/up/library/other"), Digest.Sha256Of(two), CancellationToken.None)).Size);
        upstreamOne.Open();
        Assert.Equal(one, await ReadAllAsync(first));
        Assert.Equal(one, await ReadAllAsync(joiner));
        Assert.Equal(2, limiter.Asked);
    }

    private sealed class CountingLimiter(int allowed) : IMirrorFetchLimiter
    {
        private int _asked;

        public int Asked => Volatile.Read(ref _asked);

        public TimeSpan? TryAcquire(RegistryActor actor) => Interlocked.Increment(ref _asked) <= allowed ? null : TimeSpan.FromSeconds(30);
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
