using Bollard.Core.Oci;

namespace Bollard.Core.Registry.Hooks;

/// <summary>A push check's verdict: allow, or refuse with an OCI error and a reason a person can read.</summary>
public sealed record PushCheckResult
{
    private PushCheckResult(OciError? error, string? reason)
    {
        Error = error;
        Reason = reason;
    }

    public static PushCheckResult Allow { get; } = new(null, null);

    public bool Allowed => Error is null;

    /// <summary>The OCI error the client gets; null when allowed.</summary>
    public OciError? Error { get; }

    /// <summary>Why, shown to the client in the error's detail (no secrets).</summary>
    public string? Reason { get; }

    /// <param name="reason">Shown to the client; e.g. <c>tag v1 is immutable in prod/**</c>.</param>
    /// <param name="error">Defaults to <c>DENIED</c> (403).</param>
    public static PushCheckResult Refuse(string reason, OciError? error = null) => new(error ?? OciErrors.Denied, reason);
}
