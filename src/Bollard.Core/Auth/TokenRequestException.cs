namespace Bollard.Core.Auth;

/// <summary>A token request that cannot be answered as asked: 400 with an OAuth 2 error code (RFC 6749 5.2).</summary>
/// <param name="error">The OAuth error: <c>invalid_scope</c>, <c>invalid_request</c>.</param>
public sealed class TokenRequestException(string error, string message) : Exception(message)
{
    public string Error { get; } = error;
}
