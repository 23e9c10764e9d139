using Bollard.Core.Client;
using Bollard.Core.Oci;

namespace Bollard.Scanning.Sources;

/// <summary><c>docker://HOST/NAME:TAG</c> or <c>docker://HOST/NAME@sha256:...</c>: an image in any OCI Distribution registry, read through <see cref="RegistryClient"/>.</summary>
public sealed class RegistrySource(RegistryClient client, string repository, string reference) : IImageSource
{
    public string Name => Digest.TryParse(reference, out _) ? $"docker://{client.Host}/{repository}@{reference}" : $"docker://{client.Host}/{repository}:{reference}";

    public string Repository => repository;

    public async Task<IReadOnlyList<SourceImage>> ResolveAsync(PlatformSelection platforms, CancellationToken ct)
    {
        try
        {
            var manifest = await client.GetManifestAsync(repository, reference, ct).ConfigureAwait(false);
            string? tag = Digest.TryParse(reference, out _) ? null : reference;
            return await ManifestWalker.WalkAsync(manifest.Body, manifest.MediaType, $"{client.Host}/{repository}", tag, platforms,
                async (d, c) => (await client.GetManifestAsync(repository, d.Digest.ToString(), c).ConfigureAwait(false)).Body,
                async (d, c) =>
                {
                    await using var stream = await client.OpenBlobAsync(repository, d.Digest, c).ConfigureAwait(false);
                    return await ManifestWalker.ReadBoundedAsync(stream, ManifestWalker.MaxConfigBytes, $"the config {d.Digest}", c).ConfigureAwait(false);
                }, ct).ConfigureAwait(false);
        }
        catch (RegistryClientException e)
        {
            throw Translate(e);
        }
    }

    public async ValueTask<Stream> OpenAsync(Descriptor blob, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(blob);
        try
        {
            return await client.OpenBlobAsync(repository, blob.Digest, ct).ConfigureAwait(false);
        }
        catch (RegistryClientException e)
        {
            throw Translate(e);
        }
    }

    /// <summary>
    /// The <paramref name="artifactType"/> SBOM Bollard stored for <paramref name="image"/> as a referrer (its manifest
    /// carries <see cref="Pipeline.ScanService.GeneratorAnnotation"/>), from the OCI referrers API: of several, the one
    /// of the newest engine version. Its manifest is read by digest (verified) and must name the image as its subject
    /// and hold the SBOM as its one layer of that media type; the blob itself is verified by whoever reads it. None, with
    /// the reason, when the registry has no referrers API (not Bollard, or an older registry), the listing fails, or no
    /// such referrer is there.
    /// </summary>
    public async Task<StoredSbomLookup> FindStoredSbomAsync(Digest image, string artifactType, CancellationToken ct)
    {
        IReadOnlyList<Descriptor>? referrers;
        try
        {
            referrers = await client.ListReferrersFromApiAsync(repository, image, 1000, ct).ConfigureAwait(false);
        }
        catch (RegistryClientException e)
        {
            return new StoredSbomLookup(null, $"the referrers could not be listed: {e.Message}");
        }
        if (referrers is null) return new StoredSbomLookup(null, $"{client.Host} has no OCI referrers API");
        var candidates = referrers
            .Where(d => d.ArtifactType == artifactType)
            .Select(d => (Referrer: d, Engine: d.Annotations is { } a && a.TryGetValue(Pipeline.ScanService.GeneratorAnnotation, out string? v)
                && int.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) ? n : -1))
            .Where(c => c.Engine >= 0)
            .OrderByDescending(c => c.Engine)
            .ToList();
        if (candidates.Count == 0)
            return new StoredSbomLookup(null, $"no {artifactType} SBOM stored by Bollard among the image's {referrers.Count} referrers");
        var problems = new List<string>();
        foreach (var (referrer, engine) in candidates)
        {
            ParsedManifest parsed;
            try
            {
                var manifest = await client.GetManifestAsync(repository, referrer.Digest.ToString(), ct).ConfigureAwait(false);
                parsed = ManifestParser.Parse(manifest.Body, manifest.MediaType);
            }
            catch (Exception e) when (e is RegistryClientException or OciException or System.Text.Json.JsonException or FormatException)
            {
                problems.Add($"{referrer.Digest}: {e.Message}");
                continue;
            }
            var layers = parsed.Layers.Where(l => l.MediaType == artifactType).ToList();
            if (parsed.Subject?.Digest != image || parsed.ArtifactType != artifactType || layers.Count != 1)
            {
                problems.Add($"{referrer.Digest}: not an SBOM manifest of this image");
                continue;
            }
            return new StoredSbomLookup(new StoredSbom(referrer.Digest, layers[0], engine), null);
        }
        return new StoredSbomLookup(null, $"the stored SBOM referrers cannot be used ({string.Join("; ", problems)})");
    }

    public void Dispose() => client.Dispose();

    private static ImageSourceException Translate(RegistryClientException e) => new(e.Error switch
    {
        RegistryClientError.NotFound => ImageSourceError.NotFound,
        RegistryClientError.Unauthorized => ImageSourceError.Unauthorized,
        RegistryClientError.Unreachable => ImageSourceError.Unreachable,
        _ => ImageSourceError.Invalid,
    }, e.Message, e);
}
