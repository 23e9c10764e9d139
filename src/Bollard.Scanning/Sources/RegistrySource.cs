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

    public void Dispose() => client.Dispose();

    private static ImageSourceException Translate(RegistryClientException e) => new(e.Error switch
    {
        RegistryClientError.NotFound => ImageSourceError.NotFound,
        RegistryClientError.Unauthorized => ImageSourceError.Unauthorized,
        RegistryClientError.Unreachable => ImageSourceError.Unreachable,
        _ => ImageSourceError.Invalid,
    }, e.Message, e);
}
