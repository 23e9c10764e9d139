using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Core.Registry;

/// <summary>Manifest push/pull/delete, tag and catalog listing, and the referrers API.</summary>
public sealed class ManifestService(IManifestStore manifests, IRepositoryStore repositories, RegistryOptions options, TimeProvider time)
{
    /// <exception cref="OciException"><c>MANIFEST_UNKNOWN</c>, or <c>NAME_UNKNOWN</c> when the repository does not exist.</exception>
    public async Task<ManifestRecord> GetAsync(RepositoryName repository, Reference reference, CancellationToken ct)
    {
        var record = reference.Digest is { } digest
            ? await manifests.GetAsync(repository, digest, ct).ConfigureAwait(false)
            : await manifests.GetByTagAsync(repository, reference.Tag!, ct).ConfigureAwait(false);
        if (record is not null) return record;
        await ThrowIfNoRepositoryAsync(repository, ct).ConfigureAwait(false);
        throw new OciException(OciErrors.ManifestUnknown, $"{repository}:{reference}");
    }

    /// <summary>
    /// Validates and stores a manifest under <paramref name="reference"/>. The digest is computed over the exact
    /// bytes with the algorithm of a digest reference (sha256 for a tag), and must equal a digest reference.
    /// </summary>
    public async Task<(Digest Digest, ParsedManifest Parsed)> PutAsync(
        RepositoryName repository, Reference reference, byte[] body, string? contentType, CancellationToken ct)
    {
        if (body.Length > options.MaxManifestBytes)
            throw new OciException(OciErrors.ManifestTooLarge, $"{body.Length} bytes is over the limit of {options.MaxManifestBytes} bytes");
        var algorithm = reference.Digest?.Algorithm ?? DigestAlgorithm.Sha256;
        var digest = Digest.Compute(algorithm, body);
        if (reference.Digest is { } expected && expected != digest)
            throw new OciException(OciErrors.DigestInvalid, $"manifest digest is {digest}, not {expected}");

        var parsed = ManifestParser.Parse(body, contentType);
        string? annotations = parsed.Annotations is null ? null : JsonSerializer.Serialize(parsed.Annotations, CoreJson.Default.IReadOnlyDictionaryStringString);
        var record = new ManifestRecord(digest, parsed.MediaType, body, parsed.EffectiveArtifactType, parsed.Subject?.Digest, annotations, time.GetUtcNow());

        var blobsNeeded = parsed.RequiredBlobs().Distinct().ToList();
        var childrenNeeded = parsed.RequiredManifests().Distinct().ToList();
        var result = await manifests.PutAsync(repository, record, blobsNeeded, childrenNeeded, reference.Tag, ct).ConfigureAwait(false);
        if (result.MissingBlobs.Count > 0)
            throw new OciException(OciErrors.ManifestBlobUnknown, $"blob {result.MissingBlobs[0]} is not in repository {repository}");
        if (result.MissingManifests.Count > 0)
            throw new OciException(OciErrors.ManifestBlobUnknown, $"manifest {result.MissingManifests[0]} is not in repository {repository}");
        return (digest, parsed);
    }

    /// <summary>By tag: removes only the tag. By digest: removes the manifest and every tag on it.</summary>
    public async Task DeleteAsync(RepositoryName repository, Reference reference, CancellationToken ct)
    {
        bool deleted = reference.Digest is { } digest
            ? await manifests.DeleteAsync(repository, digest, ct).ConfigureAwait(false)
            : await manifests.DeleteTagAsync(repository, reference.Tag!, ct).ConfigureAwait(false);
        if (deleted) return;
        await ThrowIfNoRepositoryAsync(repository, ct).ConfigureAwait(false);
        throw new OciException(OciErrors.ManifestUnknown, $"{repository}:{reference}");
    }

    public async Task<Page> ListTagsAsync(RepositoryName repository, int? n, string? last, CancellationToken ct)
    {
        await ThrowIfNoRepositoryAsync(repository, ct).ConfigureAwait(false);
        int limit = PageSize(n);
        if (limit == 0) return new Page([], false);
        var items = await manifests.ListTagsAsync(repository, last, limit + 1, ct).ConfigureAwait(false);
        return Trim(items, limit);
    }

    /// <summary>Repository names in lexical order, only those <paramref name="visible"/> says the caller may see.</summary>
    public async Task<Page> ListRepositoriesAsync(int? n, string? last, Func<RepositoryName, ValueTask<bool>> visible, CancellationToken ct)
    {
        int limit = PageSize(n);
        if (limit == 0) return new Page([], false);
        var page = new List<string>(Math.Min(limit + 1, 1024));
        string? cursor = last;
        while (page.Count <= limit)
        {
            var batch = await repositories.ListAsync(cursor, limit + 1, ct).ConfigureAwait(false);
            foreach (var name in batch)
                if (await visible(RepositoryName.Parse(name)).ConfigureAwait(false) && page.Count <= limit) page.Add(name);
            if (batch.Count < limit + 1) break;
            cursor = batch[^1];
        }
        return Trim(page, limit);
    }

    /// <summary>
    /// The referrers of <paramref name="subject"/> in the repository. Never 404 (distribution-spec: a registry
    /// with the referrers API "MUST NOT return a 404"); an unknown repository or subject has no referrers.
    /// </summary>
    public Task<IReadOnlyList<ReferrerRecord>> ListReferrersAsync(RepositoryName repository, Digest subject, string? artifactType, CancellationToken ct) =>
        manifests.ListReferrersAsync(repository, subject, artifactType, ct).AsTask();

    private int PageSize(int? n) => n switch
    {
        null => options.MaxPageSize,
        < 0 => throw new OciException(OciErrors.PaginationNumberInvalid, "n must not be negative"),
        _ => Math.Min(n.Value, options.MaxPageSize),
    };

    private static Page Trim(IReadOnlyList<string> items, int limit) =>
        items.Count > limit ? new Page(items.Take(limit).ToList(), true) : new Page(items, false);

    private async Task ThrowIfNoRepositoryAsync(RepositoryName repository, CancellationToken ct)
    {
        if (!await repositories.ExistsAsync(repository, ct).ConfigureAwait(false))
            throw new OciException(OciErrors.NameUnknown, repository.ToString());
    }
}
