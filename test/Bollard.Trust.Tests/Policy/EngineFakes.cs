using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Trust.Keys;
using Bollard.Trust.Policy;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Tests.Policy;

/// <summary>
/// A registry in memory holding real cosign signature manifests (<c>sha256-&lt;hex&gt;.sig</c>, one simple-signing layer
/// per signature, the ECDSA signature in the layer annotation), as cosign writes them.
/// </summary>
internal sealed class MemoryArtifactSource : IArtifactSource
{
    private readonly Dictionary<string, ArtifactManifest> _manifests = [];
    private readonly Dictionary<Digest, byte[]> _blobs = [];
    private readonly Dictionary<Digest, List<(Digest Digest, long Size, string Signature)>> _layers = [];
    private int _manifestReads;

    public int ManifestReads => Volatile.Read(ref _manifestReads);

    public const string Registry = "registry.example.com";

    /// <summary>Appends a signature by <paramref name="signer"/> over <paramref name="signed"/> to the <c>.sig</c> manifest of <paramref name="image"/>.</summary>
    public void Sign(string repository, Digest image, LocalSigner signer, Digest? signed = null, bool tamper = false)
    {
        string payload = $$"""{"critical":{"identity":{"docker-reference":"{{Registry}}/{{repository}}"},"image":{"docker-manifest-digest":"{{signed ?? image}}"},"type":"cosign container image signature"},"optional":null}""";
        byte[] bytes = Encoding.UTF8.GetBytes(payload);
        string signature = Convert.ToBase64String(signer.Sign(bytes));
        if (tamper) bytes = Encoding.UTF8.GetBytes(payload.Replace("null", "{}", StringComparison.Ordinal));
        var digest = Digest.Sha256Of(bytes);
        _blobs[digest] = bytes;
        lock (_layers)
        {
            if (!_layers.TryGetValue(image, out var layers)) _layers[image] = layers = [];
            layers.Add((digest, bytes.Length, signature));
            var config = Encoding.UTF8.GetBytes("{}");
            var configDigest = Digest.Sha256Of(config);
            _blobs[configDigest] = config;
            var manifest = new
            {
                schemaVersion = 2,
                mediaType = "application/vnd.oci.image.manifest.v1+json",
                config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = configDigest.ToString(), size = config.Length },
                layers = layers.Select(l => new Dictionary<string, object>
                {
                    ["mediaType"] = SignatureMediaTypes.CosignSimpleSigning,
                    ["digest"] = l.Digest.ToString(),
                    ["size"] = l.Size,
                    ["annotations"] = new Dictionary<string, string> { ["dev.cosignproject.cosign/signature"] = l.Signature },
                }).ToList(),
            };
#pragma warning disable IL2026, IL3050 // Test code: reflection-based serialization of an anonymous manifest is fine here.
            byte[] body = JsonSerializer.SerializeToUtf8Bytes(manifest);
#pragma warning restore IL2026, IL3050
            _manifests[$"{repository}:{SignatureMediaTypes.CosignSignatureTag(image)}"] =
                new ArtifactManifest(Digest.Sha256Of(body), "application/vnd.oci.image.manifest.v1+json", body);
        }
    }

    public Task<ArtifactManifest?> GetManifestAsync(string repository, string reference, CancellationToken ct)
    {
        Interlocked.Increment(ref _manifestReads);
        lock (_layers) return Task.FromResult(_manifests.GetValueOrDefault($"{repository}:{reference}"));
    }

    public Task<IReadOnlyList<ArtifactReferrer>> ListReferrersAsync(string repository, Digest subject, int max, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<ArtifactReferrer>>([]);

    public Task<byte[]> ReadBlobAsync(string repository, Digest digest, long maxBytes, CancellationToken ct)
    {
        Interlocked.Increment(ref _blobReads);
        return _blobs.TryGetValue(digest, out var bytes) ? Task.FromResult(bytes) : throw new FileNotFoundException(digest.ToString());
    }

    private int _blobReads;

    public int BlobReads => Volatile.Read(ref _blobReads);
}

/// <summary>
/// A small cosign key verifier for the engine tests (the real one lives in Trust/Cosign): checks the payload's digest and
/// the ECDSA signature over the exact layer bytes with each key anchor.
/// </summary>
internal sealed class TestCosignVerifier : ISignatureVerifier
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public SignatureFormat Format => SignatureFormat.Cosign;

    public SignatureVerdict Verify(FoundSignature signature, VerificationRequest request)
    {
        Interlocked.Increment(ref _calls);
        var problems = new List<string>();
        string? signed = null;
        try
        {
            using var doc = JsonDocument.Parse(signature.Content);
            signed = doc.RootElement.GetProperty("critical").GetProperty("image").GetProperty("docker-manifest-digest").GetString();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            problems.Add("the payload is not a simple-signing document");
        }
        if (signed is not null && signed != request.ExpectedDigest.ToString()) problems.Add($"the payload names {signed}, not {request.ExpectedDigest}");
        byte[] sig = Convert.FromBase64String(signature.Annotations["dev.cosignproject.cosign/signature"]);
        var results = new List<AnchorResult>();
        foreach (var anchor in request.Anchors)
        {
            if (anchor is not KeyAnchor key) { results.Add(new AnchorResult(anchor.Name, false, "not a key anchor")); continue; }
            bool ok = VerificationKey.FromPem(key.PublicKeyPem).Verify(signature.Content.Span, sig, new SignatureOptions(HashAlgorithmName.SHA256));
            results.Add(new AnchorResult(anchor.Name, ok && problems.Count == 0, ok ? $"verified with key {anchor.Name}" : $"signature does not verify with key {anchor.Name}"));
        }
        return new SignatureVerdict
        {
            Format = SignatureFormat.Cosign, SignatureManifest = signature.SignatureManifest, LayerIndex = signature.LayerIndex,
            SignedDigest = signed, Problems = problems, Anchors = results,
        };
    }
}

internal sealed class MemoryPolicySource : ITrustPolicySource
{
    private int _reads;

    public List<VersionedTrustPolicy> Policies { get; } = [];

    /// <summary>When set, reads wait for it (to make concurrent decisions overlap).</summary>
    public TaskCompletionSource? Gate { get; set; }

    public int Reads => Volatile.Read(ref _reads);

    public async Task<IReadOnlyList<VersionedTrustPolicy>> ListAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _reads);
        if (Gate is { } gate) await gate.Task.WaitAsync(ct);
        lock (Policies) return [.. Policies];
    }
}

internal sealed class MemoryScanFacts : IScanFactsSource
{
    public Dictionary<Digest, ScanFacts> Facts { get; } = [];

    public Task<ScanFacts> GetAsync(RepositoryName repository, Digest digest, CancellationToken ct) =>
        Task.FromResult(Facts.GetValueOrDefault(digest) ?? ScanFacts.NotScanned);
}

internal sealed class MemoryServerKeys : IServerKeyResolver
{
    private int _reads;

    public Dictionary<string, string> Keys { get; } = [];

    public int Reads => Volatile.Read(ref _reads);

    public Task<string?> GetPublicKeyPemAsync(string name, CancellationToken ct)
    {
        Interlocked.Increment(ref _reads);
        return Task.FromResult(Keys.GetValueOrDefault(name));
    }
}
