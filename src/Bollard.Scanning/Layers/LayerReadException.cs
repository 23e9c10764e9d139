namespace Bollard.Scanning.Layers;

/// <summary>
/// Reading a layer stopped: truncated or corrupt data, a digest mismatch, or a <see cref="ScanLimits"/> bound. The
/// message becomes a scan warning. <see cref="TrustPartial"/> says whether what was found before the stop is kept
/// (a limit, or a corrupt stream inside a blob whose digest is right) or dropped (the bytes are not the
/// layer's: the blob source sent fewer or more bytes, or other ones).
/// </summary>
internal sealed class LayerReadException(string message, bool trustPartial) : Exception(message)
{
    public bool TrustPartial { get; } = trustPartial;
}
