using System.Text.Json;
using Bollard.Core.Oci;

namespace Bollard.Trust.Signatures;

/// <summary>
/// Finds every signature of an image in the forms real tools store them: cosign's <c>sha256-&lt;hex&gt;.sig</c> tag
/// (one layer per signature), Sigstore bundles and Notation signatures as OCI 1.1 referrers, and the referrers tag-schema
/// fallback index <c>sha256-&lt;hex&gt;</c> that clients write to registries without the referrers API. Returns the stored
/// bytes untouched; verification is the verifiers' job. Everything it reads is bounded by <see cref="DiscoveryLimits"/>;
/// what it cannot read (a missing blob, a malformed manifest) becomes a warning, never an exception.
/// </summary>
public sealed class SignatureDiscovery(IArtifactSource source, DiscoveryLimits? limits = null)
{
    private readonly DiscoveryLimits _limits = limits ?? DiscoveryLimits.Default;

    public async Task<DiscoveryResult> FindAsync(string repository, Digest subject, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(repository);
        var run = new Run(repository, subject, _limits);
        await FindCosignAsync(run, ct).ConfigureAwait(false);
        await FindReferrersAsync(run, ct).ConfigureAwait(false);
        return new DiscoveryResult(run.Found, run.Warnings);
    }

    private async Task FindCosignAsync(Run run, CancellationToken ct)
    {
        string tag = SignatureMediaTypes.CosignSignatureTag(run.Subject);
        var manifest = await GetManifestAsync(run, tag, ct).ConfigureAwait(false);
        if (manifest is null) return;
        var parsed = Parse(run, manifest, tag);
        if (parsed is null) return;
        var layers = parsed.Layers.Select((layer, index) => (layer, index)).Where(l => l.layer.MediaType == SignatureMediaTypes.CosignSimpleSigning).ToList();
        int skipped = Math.Max(0, layers.Count - run.Room);
        if (skipped > 0)
            run.Warnings.Add($"{tag} holds {layers.Count} signatures; only the newest {layers.Count - skipped} are read (at most {_limits.MaxSignatures} per image)");
        foreach (var (layer, index) in layers.Skip(skipped))
        {
            var content = await ReadLayerAsync(run, layer, $"{tag} layer {index}", ct).ConfigureAwait(false);
            if (content is null) continue;
            run.Found.Add(new FoundSignature
            {
                Format = SignatureFormat.Cosign, Repository = run.Repository, Subject = run.Subject, SignatureManifest = manifest.Digest,
                LayerIndex = index, LayerDigest = layer.Digest, MediaType = layer.MediaType, Content = content,
                Annotations = layer.Annotations ?? new Dictionary<string, string>(),
                ManifestAnnotations = parsed.Annotations ?? new Dictionary<string, string>(), ArtifactType = parsed.EffectiveArtifactType,
            });
        }
    }

    private async Task FindReferrersAsync(Run run, CancellationToken ct)
    {
        IReadOnlyList<ArtifactReferrer> referrers;
        try
        {
            referrers = await source.ListReferrersAsync(run.Repository, run.Subject, _limits.MaxReferrers + 1, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or HttpRequestException)
        {
            run.Warnings.Add($"referrers of {run.Subject} could not be listed: {e.Message}");
            referrers = [];
        }
        var candidates = new List<ArtifactReferrer>(referrers.Take(_limits.MaxReferrers));
        if (referrers.Count > _limits.MaxReferrers)
            run.Warnings.Add($"{run.Subject} has more than {_limits.MaxReferrers} referrers; only the first {_limits.MaxReferrers} are looked at");
        await AddFallbackIndexAsync(run, candidates, ct).ConfigureAwait(false);

        var signatures = candidates.Where(r => KindOf(r.ArtifactType) is not null).ToList();
        int skipped = Math.Max(0, signatures.Count - run.Room);
        if (skipped > 0)
            run.Warnings.Add($"{signatures.Count} signature referrers found; only the newest {signatures.Count - skipped} are read (at most {_limits.MaxSignatures} per image)");
        foreach (var referrer in signatures.Skip(skipped))
        {
            if (referrer.Size > _limits.MaxManifestBytes)
            {
                run.Warnings.Add($"signature manifest {referrer.Digest} is {referrer.Size} bytes, over the limit of {_limits.MaxManifestBytes}; skipped");
                continue;
            }
            var manifest = await GetManifestAsync(run, referrer.Digest.ToString(), ct).ConfigureAwait(false);
            if (manifest is null) continue;
            var parsed = Parse(run, manifest, referrer.Digest.ToString());
            if (parsed is null) continue;
            if (parsed.Subject?.Digest != run.Subject)
            {
                // A fallback index is client-written: an entry may claim a subject its manifest does not name.
                run.Warnings.Add($"signature manifest {manifest.Digest} does not name {run.Subject} as its subject; skipped");
                continue;
            }
            string? artifactType = parsed.EffectiveArtifactType ?? referrer.ArtifactType;
            for (int index = 0; index < parsed.Layers.Count; index++)
            {
                var layer = parsed.Layers[index];
                SignatureFormat? format = FormatOf(artifactType, layer.MediaType);
                if (format is null) continue;
                var content = await ReadLayerAsync(run, layer, $"{manifest.Digest} layer {index}", ct).ConfigureAwait(false);
                if (content is null) continue;
                run.Found.Add(new FoundSignature
                {
                    Format = format.Value, Repository = run.Repository, Subject = run.Subject, SignatureManifest = manifest.Digest,
                    LayerIndex = index, LayerDigest = layer.Digest, MediaType = layer.MediaType, Content = content,
                    Annotations = layer.Annotations ?? new Dictionary<string, string>(),
                    ManifestAnnotations = parsed.Annotations ?? new Dictionary<string, string>(), ArtifactType = artifactType,
                });
                break;
            }
        }
    }

    /// <summary>Adds the entries of the <c>sha256-&lt;hex&gt;</c> fallback index that the referrers listing did not return.</summary>
    private async Task AddFallbackIndexAsync(Run run, List<ArtifactReferrer> candidates, CancellationToken ct)
    {
        string tag = SignatureMediaTypes.ReferrersFallbackTag(run.Subject);
        var index = await GetManifestAsync(run, tag, ct).ConfigureAwait(false);
        if (index is null) return;
        var parsed = Parse(run, index, tag);
        if (parsed is null || !parsed.IsIndex) return;
        var seen = candidates.Select(c => c.Digest).ToHashSet();
        foreach (var entry in parsed.Manifests.Take(Math.Max(0, _limits.MaxReferrers - candidates.Count)))
        {
            if (seen.Add(entry.Digest))
                candidates.Add(new ArtifactReferrer(entry.Digest, entry.MediaType, entry.ArtifactType, entry.Size) { Annotations = entry.Annotations ?? new Dictionary<string, string>() });
        }
    }

    /// <summary>The kind of signature an artifact type announces, before its manifest is read (null: not a signature).</summary>
    private static string? KindOf(string? artifactType) =>
        artifactType == SignatureMediaTypes.NotationSignature ? "notation"
        : SignatureMediaTypes.IsSigstoreBundle(artifactType) ? "bundle"
        : null;

    private static SignatureFormat? FormatOf(string? artifactType, string layerMediaType) => artifactType switch
    {
        SignatureMediaTypes.NotationSignature when layerMediaType == SignatureMediaTypes.Jws => SignatureFormat.NotationJws,
        SignatureMediaTypes.NotationSignature when layerMediaType == SignatureMediaTypes.Cose => SignatureFormat.NotationCose,
        _ when SignatureMediaTypes.IsSigstoreBundle(artifactType) && SignatureMediaTypes.IsSigstoreBundle(layerMediaType) => SignatureFormat.SigstoreBundle,
        _ => null,
    };

    private async Task<ArtifactManifest?> GetManifestAsync(Run run, string reference, CancellationToken ct)
    {
        try
        {
            var manifest = await source.GetManifestAsync(run.Repository, reference, ct).ConfigureAwait(false);
            if (manifest is not null && manifest.Body.LongLength > _limits.MaxManifestBytes)
            {
                run.Warnings.Add($"{reference} is {manifest.Body.LongLength} bytes, over the limit of {_limits.MaxManifestBytes}; skipped");
                return null;
            }
            return manifest;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or HttpRequestException)
        {
            run.Warnings.Add($"{reference} could not be read: {e.Message}");
            return null;
        }
    }

    private static ParsedManifest? Parse(Run run, ArtifactManifest manifest, string what)
    {
        try
        {
            return ManifestParser.Parse(manifest.Body, manifest.MediaType);
        }
        catch (Exception e) when (e is OciException or JsonException or FormatException)
        {
            run.Warnings.Add($"{what} ({manifest.Digest}) is not a valid manifest: {(e as OciException)?.Detail ?? e.Message}");
            return null;
        }
    }

    private async Task<byte[]?> ReadLayerAsync(Run run, Descriptor layer, string what, CancellationToken ct)
    {
        // cosign signers of one image share one payload: every layer of their .sig manifest names the same blob, read once.
        if (run.Blobs.TryGetValue(layer.Digest, out var known)) return known;
        if (layer.Size > _limits.MaxLayerBytes)
        {
            run.Warnings.Add($"{what} is {layer.Size} bytes, over the limit of {_limits.MaxLayerBytes}; skipped");
            return null;
        }
        if (run.BytesRead + layer.Size > _limits.MaxTotalBytes)
        {
            run.Warnings.Add($"{what} skipped: the signatures of {run.Subject} already took {run.BytesRead} bytes (limit {_limits.MaxTotalBytes})");
            return null;
        }
        try
        {
            byte[] content = await source.ReadBlobAsync(run.Repository, layer.Digest, Math.Min(_limits.MaxLayerBytes, Math.Max(layer.Size, 0)), ct).ConfigureAwait(false);
            run.BytesRead += content.LongLength;
            run.Blobs[layer.Digest] = content;
            return content;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or HttpRequestException)
        {
            run.Warnings.Add($"{what} ({layer.Digest}) could not be read: {e.Message}");
            return null;
        }
    }

    private sealed class Run(string repository, Digest subject, DiscoveryLimits limits)
    {
        public string Repository { get; } = repository;
        public Digest Subject { get; } = subject;
        public List<FoundSignature> Found { get; } = [];
        public List<string> Warnings { get; } = [];
        public long BytesRead { get; set; }

        /// <summary>The layers read so far, by digest (each distinct blob is read and counted against the byte limit once).</summary>
        public Dictionary<Digest, byte[]> Blobs { get; } = [];

        /// <summary>How many more signatures may be read.</summary>
        public int Room => Math.Max(0, limits.MaxSignatures - Found.Count);
    }
}
