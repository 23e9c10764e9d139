using System.Text;
using Bollard.Core.Events;
using Bollard.Core.Mirror;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Registry.Hooks;
using Bollard.Storage.FileSystem;
using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Bollard.Core.Tests.Mirror;

/// <summary>
/// A mirror blob reader over the real stores (SQLite metadata, file-system blobs, SQLite pins) and an
/// <see cref="IUpstreamRegistry"/> double; the mirrored repository is <c>mirror/up/library/app</c>.
/// </summary>
internal sealed class MirrorBlobFixture : IDisposable
{
    public static readonly RepositoryName Repository = RepositoryName.Parse("mirror/up/library/app");

    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-mirror-").FullName;
    private readonly SqliteDatabase _db;

    public MirrorBlobFixture(Action<UpstreamOptions>? configure = null, IMirrorFetchLimiter? limiter = null)
    {
        var upstream = new UpstreamOptions { Name = "up", Url = "http://127.0.0.1:9", Timeout = TimeSpan.FromSeconds(30) };
        configure?.Invoke(upstream);
        Options = new MirrorOptions { Upstreams = [upstream] };
        _db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        Repositories = new SqliteRepositoryStore(_db);
        Manifests = new SqliteManifestStore(_db);
        var metadata = new SqliteMetadataStore(_db, new RegistryEventSignal(), TimeProvider.System);
        Blobs = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = Path.Combine(_dir, "blobs"), Fsync = false });
        BlobService = new BlobService(Blobs, Repositories, new SqliteUploadStore(_db), metadata, new SqliteGcStore(_db, TimeProvider.System),
            new RegistryOptions(), TimeProvider.System);
        ManifestService = new ManifestService(Manifests, Repositories, metadata, new StoredManifestReader(Manifests), [], new AllowAllPullGate(),
            new RegistryOptions(), TimeProvider.System);
        SpoolDir = Path.Combine(_dir, "mirror-spool");
        Fetches = new BlobFetches(Upstream, BlobService, Options, Counters, limiter ?? new UnlimitedMirrorFetches(), Observer, SpoolDir);
        Reader = new MirrorBlobReader(new StoredBlobReader(Blobs, Repositories), new MirrorRouter(Options), Fetches, BlobService, Repositories, Manifests, Counters);
    }

    public MirrorOptions Options { get; }
    public FakeUpstream Upstream { get; } = new();
    public MirrorCounters Counters { get; } = new();
    public RecordingObserver Observer { get; } = new();
    public SqliteRepositoryStore Repositories { get; }
    public SqliteManifestStore Manifests { get; }
    public FileSystemBlobStore Blobs { get; }
    public BlobService BlobService { get; }
    public ManifestService ManifestService { get; }
    public BlobFetches Fetches { get; }
    public MirrorBlobReader Reader { get; }
    public string SpoolDir { get; }
    public SqliteDatabase Database => _db;

    public static readonly RegistryActor Client = new("alice", "127.0.0.1");

    /// <summary>Stores (as the manifest side of the mirror does) an image manifest of <paramref name="repository"/> whose one layer is <paramref name="layer"/>.</summary>
    public async Task ReferenceAsync(Digest layer, long size, RepositoryName? repository = null)
    {
        byte[] config = "{}"u8.ToArray();
        string json = $$"""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{Digest.Sha256Of(config)}}","size":{{config.Length}}},
             "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{layer}}","size":{{size}}}]}
            """;
        await ManifestService.StoreFetchedAsync(repository ?? Repository, Reference.Parse("v1"), Encoding.UTF8.GetBytes(json),
            "application/vnd.oci.image.manifest.v1+json", null, RegistryActor.Unknown, CancellationToken.None);
    }

    /// <summary>Waits (bounded) until no fetch is in flight: the background fetch has stored, or failed and cleaned up.</summary>
    public async Task IdleAsync()
    {
        for (int i = 0; i < 1000 && Fetches.Running > 0; i++) await Task.Delay(10);
        Assert.Equal(0, Fetches.Running);
    }

    public string[] SpoolFiles() => Directory.GetFiles(SpoolDir);

    public static byte[] RandomBytes(int length)
    {
        byte[] bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    public void Dispose()
    {
        Fetches.Dispose();
        // Cancelled fetches clean up in the background; the database must outlive them.
        for (int i = 0; i < 500 && Fetches.Running > 0; i++) Thread.Sleep(10);
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A background fetch still closing a file; the temp folder is cleaned by the OS.
        }
    }
}

internal sealed class RecordingObserver : IMirrorFetchObserver
{
    private readonly List<(RegistryActor Actor, string Reference, string? Failure)> _fetched = [];

    public IReadOnlyList<(RegistryActor Actor, string Reference, string? Failure)> Fetched
    {
        get { lock (_fetched) return [.. _fetched]; }
    }

    void IMirrorFetchObserver.Fetched(RegistryActor actor, MirrorRoute route, string kind, string reference, string? failure)
    {
        lock (_fetched) _fetched.Add((actor, reference, failure));
    }
}
