using Bollard.Core.Client;
using Bollard.Core.Oci;

namespace Bollard.Scanning.Sources;

/// <summary>Turns the CLI's image argument into a source: <c>oci:DIR[:TAG]</c>, <c>docker-archive:FILE</c>, <c>docker://HOST/NAME[:TAG|@DIGEST]</c>.</summary>
public static class ImageSources
{
    public const string Usage = "give oci:DIR[:TAG], docker-archive:FILE or docker://HOST/NAME[:TAG|@DIGEST]";

    /// <exception cref="ImageSourceException">Not one of those forms (<see cref="ImageSourceError.UnknownSource"/>).</exception>
    /// <param name="tls">Extra HTTPS trust for a registry host (null: the system's roots, and plain HTTP to loopback).</param>
    public static IImageSource Open(string image, Func<string, RegistryCredentials?> credentials, bool insecure, Func<string, RegistryTls?>? tls = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(credentials);
        if (image.StartsWith("oci:", StringComparison.Ordinal))
        {
            string rest = image[4..];
            if (rest.Length == 0) throw new ImageSourceException(ImageSourceError.UnknownSource, $"'{image}': no directory ({Usage})");
            int colon = rest.LastIndexOf(':');
            // A folder whose name holds ':' is taken whole when it exists; else the part after the last ':' is the tag.
            if (colon > 0 && !Directory.Exists(rest) && rest.IndexOf('/', colon) < 0)
                return new OciLayoutSource(rest[..colon], rest[(colon + 1)..]);
            return new OciLayoutSource(rest, null);
        }
        if (image.StartsWith("docker-archive:", StringComparison.Ordinal))
        {
            string file = image["docker-archive:".Length..];
            if (file.Length == 0) throw new ImageSourceException(ImageSourceError.UnknownSource, $"'{image}': no file ({Usage})");
            return new DockerArchiveSource(file);
        }
        if (image.StartsWith("docker://", StringComparison.Ordinal))
        {
            string rest = image["docker://".Length..];
            int slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || slash == rest.Length - 1)
                throw new ImageSourceException(ImageSourceError.UnknownSource, $"'{image}': give the registry host and the name, docker://HOST/NAME:TAG");
            string host = rest[..slash];
            string path = rest[(slash + 1)..];
            string repository, reference;
            int at = path.IndexOf('@', StringComparison.Ordinal);
            if (at >= 0)
            {
                repository = path[..at];
                reference = path[(at + 1)..];
                if (!Digest.TryParse(reference, out _, out string? problem))
                    throw new ImageSourceException(ImageSourceError.UnknownSource, $"'{image}': {problem}");
            }
            else
            {
                int colon = path.LastIndexOf(':');
                (repository, reference) = colon > path.LastIndexOf('/') ? (path[..colon], path[(colon + 1)..]) : (path, "latest");
            }
            if (!RepositoryName.TryParse(repository, out _))
                throw new ImageSourceException(ImageSourceError.UnknownSource, $"'{image}': '{repository}' is not a valid repository name");
            return new RegistrySource(new RegistryClient(host, credentials(host), insecure, tls: insecure ? null : tls?.Invoke(host)), repository, reference);
        }
        throw new ImageSourceException(ImageSourceError.UnknownSource, $"unknown image source '{image}' ({Usage})");
    }
}
