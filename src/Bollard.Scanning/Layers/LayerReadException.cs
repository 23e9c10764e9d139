namespace Bollard.Scanning.Layers;

/// <summary>
/// Reading a layer stopped: truncated or corrupt data, a digest mismatch, or a <see cref="ScanLimits"/> bound. The
/// message becomes a scan warning. <see cref="TrustPartial"/> says whether what was found before the stop is kept
/// (truncation, a limit) or dropped (the bytes are not the layer's: a digest or size mismatch).
/// </summary>
internal sealed class LayerReadException(string message, bool trustPartial) : Exception(message)
{
    public bool TrustPartial { get; } = trustPartial;
}
