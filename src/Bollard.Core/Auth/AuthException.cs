namespace Bollard.Core.Auth;

public enum AuthFailure
{
    /// <summary>Bad or missing credentials: 401.</summary>
    InvalidCredentials,
    /// <summary>Too many failed logins: 429 with Retry-After.</summary>
    Throttled,
}

public sealed class AuthException(AuthFailure failure, string message, TimeSpan? retryAfter = null) : Exception(message)
{
    public AuthFailure Failure { get; } = failure;
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
