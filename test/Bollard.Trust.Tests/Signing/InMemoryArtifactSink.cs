using System.Collections.Concurrent;
using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Trust.Signatures;
using Bollard.Trust.Signing;

namespace Bollard.Trust.Tests.Signing;

/// <summary>A registry in memory: tags and manifests under one lock (each PUT atomic), conditions enforced or ignored.</summary>
internal sealed class InMemoryArtifactSink(bool enforcesConditions = true, bool supportsReferrers = true) : IArtifactSink
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Digest> _tags = [];
    private readonly Dictionary<Digest, ArtifactManifest> _manifests = [];
    private readonly ConcurrentDictionary<Digest, byte[]> _blobs = new();

    public bool EnforcesConditions => enforcesConditions;

    public bool SupportsReferrers => supportsReferrers;

    public int Conflicts { get; private set; }

    public IReadOnlyDictionary<Digest, byte[]> Blobs => _blobs;

    public Task PutBlobAsync(string repository, Digest digest, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        Assert.Equal(digest, Digest.Sha256Of(content.Span));
        _blobs[digest] = content.ToArray();
        return Task.CompletedTask;
    }

    public async Task<Digest> PutManifestAsync(string repository, string reference, string mediaType, byte[] body, TagCondition? condition, CancellationToken ct)
    {
        await Task.Yield(); // let concurrent writers interleave between their read and their write
        var digest = Digest.Sha256Of(body);
        using var doc = JsonDocument.Parse(body); // every manifest written is JSON
        lock (_lock)
        {
            if (!reference.StartsWith("sha256:", StringComparison.Ordinal))
            {
                Digest? current = _tags.TryGetValue(reference, out var c) ? c : null;
                if (enforcesConditions && condition?.Check(current) is { } failed)
                {
                    Conflicts++;
                    throw new ArtifactConflictException(failed);
                }
                _tags[reference] = digest;
            }
            _manifests[digest] = new ArtifactManifest(digest, mediaType, body);
        }
        return digest;
    }

    public async Task<ArtifactManifest?> GetManifestAsync(string repository, string reference, CancellationToken ct)
    {
        await Task.Yield();
        lock (_lock)
        {
            var digest = Digest.TryParse(reference, out var d) ? d : _tags.TryGetValue(reference, out var t) ? t : (Digest?)null;
            return digest is { } x && _manifests.TryGetValue(x, out var m) ? m : null;
        }
    }

    public Task<IReadOnlyList<ArtifactReferrer>> ListReferrersAsync(string repository, Digest subject, int max, CancellationToken ct)
    {
        lock (_lock)
        {
            var list = new List<ArtifactReferrer>();
            foreach (var m in _manifests.Values)
            {
                using var doc = JsonDocument.Parse(m.Body);
                if (doc.RootElement.TryGetProperty("subject", out var s) && s.GetProperty("digest").GetString() == subject.ToString())
                    list.Add(new ArtifactReferrer(m.Digest, m.MediaType, doc.RootElement.TryGetProperty("artifactType", out var a) ? a.GetString() : null, m.Body.Length));
            }
            return Task.FromResult<IReadOnlyList<ArtifactReferrer>>(list.Take(max).ToList());
        }
    }

    public Task<byte[]> ReadBlobAsync(string repository, Digest digest, long maxBytes, CancellationToken ct) =>
        _blobs.TryGetValue(digest, out var b) ? Task.FromResult(b) : throw new FileNotFoundException(digest.ToString());
}
