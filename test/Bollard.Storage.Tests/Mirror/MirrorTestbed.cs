using Bollard.Core.Events;
using Bollard.Core.Jobs;
using Bollard.Core.Mirror;
using Bollard.Core.Registry;
using Bollard.Core.Registry.Hooks;
using Bollard.Core.Oci;
using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Bollard.Storage.Tests.Mirror;

/// <summary>A mirror over a real SQLite store with a fake clock and a fake upstream <c>up</c>, mapped at <c>mirror/up/...</c>.</summary>
internal sealed class MirrorTestbed : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-mirror-").FullName;

    public MirrorTestbed(Action<UpstreamOptions>? configure = null, IMirrorFetchLimiter? limiter = null)
    {
        Upstream = new UpstreamOptions { Name = "up", Url = "http://upstream.test:5000", TagTtl = TimeSpan.FromMinutes(5) };
        configure?.Invoke(Upstream);
        Options = new MirrorOptions { Upstreams = [Upstream] };
        Router = new MirrorRouter(Options);
        Db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        var metadata = new SqliteMetadataStore(Db, new RegistryEventSignal(), Clock);
        Manifests = new SqliteManifestStore(Db);
        Repositories = new SqliteRepositoryStore(Db);
        Tags = new SqliteMirrorStore(Db);
        Jobs = new SqliteJobStore(Db, Clock);
        Stored = new StoredManifestReader(Manifests);
        Reader = new MirrorManifestReader(Stored, Router, Fake, Tags, () => Service!, limiter ?? new UnlimitedMirrorFetches(), Observer, Counters, Clock,
            new MirrorSignatureFetches(Jobs, Clock));
        Service = new ManifestService(Manifests, Repositories, metadata, Reader, Array.Empty<IPushCheck>(), new AllowAllPullGate(), new RegistryOptions(), Clock);
    }

    public static readonly RepositoryName Repo = RepositoryName.Parse("mirror/up/library/alpine");
    public static readonly RegistryActor Alice = new("alice", "127.0.0.1");

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
    public FakeUpstreamRegistry Fake { get; } = new();
    public RecordingObserver Observer { get; } = new();
    public MirrorCounters Counters { get; } = new();
    public UpstreamOptions Upstream { get; }
    public MirrorOptions Options { get; }
    public MirrorRouter Router { get; }
    public SqliteDatabase Db { get; }
    public SqliteManifestStore Manifests { get; }
    public SqliteRepositoryStore Repositories { get; }
    public SqliteMirrorStore Tags { get; }
    public SqliteJobStore Jobs { get; }
    public StoredManifestReader Stored { get; }
    public MirrorManifestReader Reader { get; }
    public ManifestService Service { get; }
    public MirrorCounters.Upstream Count => Counters.For("up");

    /// <summary>A client's pull by tag, through ManifestService as the manifest endpoint does.</summary>
    public Task<Bollard.Core.Storage.ManifestRecord> PullAsync(string reference, RepositoryName? repository = null) =>
        Service.GetAsync(repository ?? Repo, Reference.Parse(reference), Alice, default);

    public void Dispose()
    {
        Db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    public sealed class RecordingObserver : IMirrorFetchObserver
    {
        private readonly List<(RegistryActor Actor, string Kind, string Reference, string? Failure)> _fetches = [];

        public IReadOnlyList<(RegistryActor Actor, string Kind, string Reference, string? Failure)> Fetches
        {
            get { lock (_fetches) return _fetches.ToList(); }
        }

        public void Fetched(RegistryActor actor, MirrorRoute route, string kind, string reference, string? failure)
        {
            lock (_fetches) _fetches.Add((actor, kind, reference, failure));
        }
    }
}
