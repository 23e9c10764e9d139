using Bollard.Core.Scanning;

namespace Bollard.Scanning.Sbom;

/// <summary>Turns an image inventory into one SBOM document (JSON bytes). Same inventory and subject, same bytes, except the creation time.</summary>
public interface ISbomWriter
{
    /// <summary><c>cyclonedx</c> or <c>spdx</c>: the name of the format in the CLI and the API.</summary>
    string Format { get; }

    /// <summary>The media type of the document, also the <c>artifactType</c> of the referrer that carries it.</summary>
    string MediaType { get; }

    byte[] Write(ImageInventory inventory, SbomSubject subject);
}
