using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;

namespace Bollard.Core.Mirror;

/// <summary>
/// Brings a mirrored image's cosign tags (<c>sha256-&lt;hex&gt;.sig</c>, <c>.att</c>, <c>.sbom</c>, the referrers
/// fallback index <c>sha256-&lt;hex&gt;</c>) and its OCI referrers (the upstream's referrers API) into the cache, each
/// with its blobs, so Bollard's referrers endpoint and trust discovery (which read the store) find upstream signatures.
/// Everything goes through the mirror's own read seams (vetted, counted, tag state kept, so a <c>.sig</c> added upstream
/// later is seen after its TTL). Bounded: at most <see cref="MaxArtifacts"/> artifacts and <see cref="MaxBytes"/> of
/// their blobs per image, none over <see cref="MaxBlobBytes"/>. Idempotent: what is cached is a hit. Used by the
/// background job and, before a trust decision, by <see cref="MirrorSignatureOrigin"/>.
/// </summary>
public sealed class MirrorSignatureSync(IManifestReader manifests, IBlobReader blobs, IRepositoryStore repositories, IUpstreamRegistry upstream)
{
    /// <summary>Signatures, attestations and SBOMs of one image; more is not a signature set but abuse.</summary>
    public const int MaxArtifacts = 32;

    /// <summary>A signature or attestation blob is kilobytes; an SBOM may be megabytes.</summary>
    public const long MaxBlobBytes = 16L * 1024 * 1024;

    public const long MaxBytes = 64L * 1024 * 1024;

    private static readonly string[] CosignSuffixes = [".sig", ".att", ".sbom", ""];

    /// <returns>How many artifacts the image has and the bytes of their blobs read.</returns>
    /// <exception cref="OciException">The first blob that could not be brought (the manifests came all the same).</exception>
    public async Task<(int Artifacts, long Bytes)> BringAsync(MirrorRoute route, Digest subject, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(route);
        var repository = route.Local;
        // Manifests first, all of them, so the referrers API and trust discovery see every signature even while a blob
        // still fails (then the job fails at the end and its retry brings the rest: what came is a cache hit).
        var artifacts = new List<ManifestRecord>();
        foreach (string suffix in CosignSuffixes)
        {
            string tag = $"{subject.Algorithm.Name}-{subject.Hex}{suffix}";
            if (await manifests.GetAsync(repository, new Reference(tag, null), ct).ConfigureAwait(false) is { } artifact) artifacts.Add(artifact);
        }
        var referrers = await upstream.ListReferrersAsync(route, subject, MaxArtifacts, ct).ConfigureAwait(false);
        foreach (var referrer in referrers)
        {
            if (artifacts.Count >= MaxArtifacts) break;
            if (referrer.Size > route.Upstream.MaxManifestBytes || !MediaTypes.IsManifest(referrer.MediaType)) continue;
            if (artifacts.Any(a => a.Digest == referrer.Digest)) continue;
            if (await manifests.GetAsync(repository, new Reference(null, referrer.Digest), ct).ConfigureAwait(false) is { } artifact) artifacts.Add(artifact);
        }

        long bytes = 0;
        OciException? failed = null;
        foreach (var artifact in artifacts)
        {
            var parsed = ManifestParser.Parse(artifact.Content, artifact.MediaType);
            // An index here is the referrers fallback index: its manifests are the referrers, which the referrers API brought.
            if (parsed.IsIndex) continue;
            foreach (var blob in new[] { parsed.Config }.Concat(parsed.Layers).OfType<Descriptor>().DistinctBy(d => d.Digest))
            {
                if (blob.Size > MaxBlobBytes || bytes + blob.Size > MaxBytes) continue;
                try
                {
                    await BringBlobAsync(repository, blob.Digest, ct).ConfigureAwait(false);
                    bytes += blob.Size;
                }
                catch (OciException e)
                {
                    failed ??= e;
                }
            }
        }
        if (failed is not null) throw failed;
        return (artifacts.Count, bytes);
    }

    /// <summary>One blob, read through the blob seam (its mirror decorator stores it on a miss); nothing when already here.</summary>
    private async Task BringBlobAsync(RepositoryName repository, Digest digest, CancellationToken ct)
    {
        if (await repositories.IsBlobLinkedAsync(repository, digest, ct).ConfigureAwait(false)) return;
        await blobs.StatAsync(repository, digest, ct).ConfigureAwait(false);
        var stream = await blobs.OpenAsync(repository, digest, null, ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
            await stream.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
    }
}
