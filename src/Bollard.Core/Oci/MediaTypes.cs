namespace Bollard.Core.Oci;

/// <summary>Media types of the OCI image-spec (media-types.md) and Docker image manifest v2 schema 2.</summary>
public static class MediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
    public const string DockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";
    public const string DockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    public const string OciNondistributableLayer = "application/vnd.oci.image.layer.nondistributable.v1.tar";
    public const string OciNondistributableLayerGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    public const string OciNondistributableLayerZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

    public static bool IsIndex(string mediaType) => mediaType is OciIndex or DockerManifestList;

    public static bool IsImageManifest(string mediaType) => mediaType is OciManifest or DockerManifest;

    public static bool IsManifest(string mediaType) => IsIndex(mediaType) || IsImageManifest(mediaType);

    /// <summary>Layers that registries do not hold (foreign/non-distributable); their blobs need not be present.</summary>
    public static bool IsNonDistributable(string mediaType) =>
        mediaType is DockerForeignLayer or OciNondistributableLayer or OciNondistributableLayerGzip or OciNondistributableLayerZstd;

    /// <summary>
    /// media-types.md: a media type is <c>type/subtype</c> with RFC 6838 restricted names; parameters are
    /// stripped by the caller. Used to reject garbage in <c>mediaType</c>/<c>artifactType</c> fields.
    /// </summary>
    public static bool IsWellFormed(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 255) return false;
        int slash = value.IndexOf('/');
        if (slash <= 0 || slash == value.Length - 1 || value.IndexOf('/', slash + 1) >= 0) return false;
        foreach (char c in value)
        {
            bool ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
                or '!' or '#' or '$' or '&' or '-' or '^' or '_' or '.' or '+' or '/';
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>Strips parameters (<c>; charset=...</c>) and whitespace from a Content-Type value.</summary>
    public static string? WithoutParameters(string? contentType)
    {
        if (contentType is null) return null;
        int semi = contentType.IndexOf(';');
        return (semi >= 0 ? contentType[..semi] : contentType).Trim();
    }
}
