namespace Bollard.Core.Client;

/// <summary>A registry request that failed: the message is one line for the person at the terminal.</summary>
public sealed class RegistryClientException(RegistryClientError error, string message, Exception? inner = null) : Exception(message, inner)
{
    public RegistryClientError Error { get; } = error;

    /// <summary>The HTTP status the registry answered, when it answered.</summary>
    public int? Status { get; init; }
}

/// <summary>Why a registry request failed.</summary>
public enum RegistryClientError
{
    /// <summary>The answer is not what the protocol says (not JSON, a digest that does not match, too large).</summary>
    Invalid,

    /// <summary>The manifest, blob or repository is not there.</summary>
    NotFound,

    /// <summary>The registry refused the credentials (or wants some).</summary>
    Unauthorized,

    /// <summary>The registry could not be reached, or answered with a server error.</summary>
    Unreachable,

    /// <summary><c>412 Precondition Failed</c>: a conditional manifest PUT (<c>If-Match</c>/<c>If-None-Match</c>) found the tag moved.</summary>
    PreconditionFailed,

    /// <summary>The registry refused the request for another reason (a 4xx: invalid manifest, denied by a policy).</summary>
    Refused,
}
