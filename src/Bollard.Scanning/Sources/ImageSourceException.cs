namespace Bollard.Scanning.Sources;

/// <summary>An image source that cannot be read: the message is one line for the person at the terminal.</summary>
public sealed class ImageSourceException(ImageSourceError error, string message, Exception? inner = null) : Exception(message, inner)
{
    public ImageSourceError Error { get; } = error;
}

/// <summary>Why an image source failed.</summary>
public enum ImageSourceError
{
    /// <summary>Not a source Bollard knows (<c>oci:</c>, <c>docker-archive:</c>, <c>docker://</c>).</summary>
    UnknownSource,

    /// <summary>The folder, file or registry answer is not what the format says (missing <c>index.json</c>, corrupt JSON, a bad digest).</summary>
    Invalid,

    /// <summary>The image (tag, digest, platform) is not there.</summary>
    NotFound,

    /// <summary>The registry refused the credentials (or wants some).</summary>
    Unauthorized,

    /// <summary>The registry could not be reached.</summary>
    Unreachable,
}
