namespace Bollard.Core.Oci;

/// <summary>A request failed with a distribution-spec error; the HTTP layer serializes it in one place.</summary>
public sealed class OciException(OciError error, string? detail = null) : Exception(detail is null ? error.Message : $"{error.Message}: {detail}")
{
    public OciError Error { get; } = error;
    public string? Detail { get; } = detail;

    /// <summary>For 429 <c>TOOMANYREQUESTS</c> and 503: when the client may try again (written as <c>Retry-After</c>).</summary>
    public TimeSpan? RetryAfter { get; init; }
}
