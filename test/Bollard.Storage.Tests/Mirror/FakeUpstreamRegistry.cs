using System.Collections.Concurrent;
using System.Text;
using Bollard.Core.Mirror;
using Bollard.Core.Oci;

namespace Bollard.Storage.Tests.Mirror;

/// <summary>
/// An upstream registry in memory for the mirror's unit tests: manifests by digest, tags, referrers; counts every request;
/// <see cref="Down"/> makes every request fail as the real client would report it; <see cref="GetGate"/> holds GETs.
/// </summary>
internal sealed class FakeUpstreamRegistry : IUpstreamRegistry
{
    private readonly ConcurrentDictionary<Digest, (string MediaType, byte[] Body)> _manifests = new();
    private readonly ConcurrentDictionary<string, Digest> _tags = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Digest, List<Descriptor>> _referrers = new();
    private int _heads, _gets, _referrerLists;

    public int Heads => _heads;
    public int Gets => _gets;
    public int ReferrerLists => _referrerLists;
    public int Requests => Heads + Gets + ReferrerLists;
    public UpstreamException? Down { get; set; }
    public TaskCompletionSource? GetGate { get; set; }

    public Digest Put(byte[] body, string mediaType = MediaTypes.OciManifest, string? tag = null)
    {
        var digest = Digest.Sha256Of(body);
        _manifests[digest] = (mediaType, body);
        if (tag is not null) _tags[tag] = digest;
        return digest;
    }

    public void Untag(string tag) => _tags.TryRemove(tag, out _);

    public void AddReferrer(Digest subject, Descriptor referrer) => _referrers.GetOrAdd(subject, _ => []).Add(referrer);

    public Task<UpstreamManifestHead?> HeadManifestAsync(MirrorRoute route, Reference reference, CancellationToken ct)
    {
        Interlocked.Increment(ref _heads);
        if (Down is { } down) throw down;
        return Task.FromResult(Find(reference) is { } m ? new UpstreamManifestHead(m.Digest, m.MediaType, m.Body.LongLength) : null);
    }

    public async Task<UpstreamManifest?> GetManifestAsync(MirrorRoute route, Reference reference, CancellationToken ct)
    {
        Interlocked.Increment(ref _gets);
        if (GetGate is { } gate) await gate.Task.WaitAsync(ct);
        if (Down is { } down) throw down;
        return Find(reference) is { } m ? new UpstreamManifest(m.Digest, m.MediaType, m.Body) : null;
    }

    public Task<UpstreamBlob?> OpenBlobAsync(MirrorRoute route, Digest digest, CancellationToken ct) => Task.FromResult<UpstreamBlob?>(null);

    public Task<IReadOnlyList<Descriptor>> ListReferrersAsync(MirrorRoute route, Digest subject, int max, CancellationToken ct)
    {
        Interlocked.Increment(ref _referrerLists);
        if (Down is { } down) throw down;
        return Task.FromResult<IReadOnlyList<Descriptor>>(_referrers.TryGetValue(subject, out var list) ? list.Take(max).ToList() : []);
    }

    public Task<IReadOnlyList<string>> ListTagsAsync(MirrorRoute route, int max, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<string>>(_tags.Keys.Order(StringComparer.Ordinal).Take(max).ToList());

    private (Digest Digest, string MediaType, byte[] Body)? Find(Reference reference)
    {
        Digest digest;
        if (reference.Digest is { } d) digest = d;
        else if (!_tags.TryGetValue(reference.Tag!, out digest)) return null;
        return _manifests.TryGetValue(digest, out var m) ? (digest, m.MediaType, m.Body) : null;
    }

    /// <summary>An image manifest whose config and layer are named after <paramref name="seed"/> (their blobs are nowhere: a mirror stores manifests without them).</summary>
    public static byte[] Image(string seed, Descriptor? subject = null, string? artifactType = null)
    {
        var config = Digest.Sha256Of(Encoding.UTF8.GetBytes("config " + seed));
        var layer = Digest.Sha256Of(Encoding.UTF8.GetBytes("layer " + seed));
        string subjectJson = subject is null ? "" : ",\"subject\":{\"mediaType\":\"" + subject.MediaType + "\",\"digest\":\"" + subject.Digest + "\",\"size\":" + subject.Size + "}";
        string artifactJson = artifactType is null ? "" : ",\"artifactType\":\"" + artifactType + "\"";
        return Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"{{artifactJson}},"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{config}}","size":12},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{layer}}","size":11}]{{subjectJson}}}""");
    }

    /// <summary>An index of <paramref name="children"/>.</summary>
    public static byte[] Index(params Digest[] children)
    {
        var entries = children.Select(c =>
            "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + c + "\",\"size\":100,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}");
        return Encoding.UTF8.GetBytes(
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[" + string.Join(",", entries) + "]}");
    }
}
