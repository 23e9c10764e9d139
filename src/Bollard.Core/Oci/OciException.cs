namespace Bollard.Core.Oci;

/// <summary>A request failed with a distribution-spec error; the HTTP layer serializes it in one place.</summary>
public sealed class OciException(OciError error, string? detail = null) : Exception(detail is null ? error.Message : $"{error.Message}: {detail}")
{
    public OciError Error { get; } = error;
    public string? Detail { get; } = detail;
}
